"""Which canvas preparation gives better pictures for sizes off the model's unit?

Compares, on synthetic cel-shaded pairs with known ground truth at t = 1/2 (actors crossing the
right/bottom borders, a panning background), for a frame size that is not a multiple of the
unit:
- RIFE: zero padding (vsrife) vs replicate padding, right/bottom, cropped after;
- GMFSS base/union: bilinear resize to the canvas and back (upstream) vs replicate padding.
Reports PSNR against the truth over the whole frame and over a 24-px border band.

    .venv/bin/python benchmarks/padding.py [--size 270x480] [--pairs 4] [--models rife,gmfss]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from vsafi import weights
from vsafi.synthetic import Actor, AnimeClip, FILLS, Scene


def pairs(h: int, w: int, count: int):
    """(I0, I1, truth at 1/2) tensors from scenes on ones with motion into the borders."""
    out = []
    for k in range(count):
        rng = np.random.default_rng(k)
        actors = (
            Actor("box", FILLS[0], (30, 40), (h - 25, w * 0.3), (4.0 + k, 6.0), accel=(0.0, 0.0)),
            Actor("ellipse", FILLS[1], (36, 30), (h * 0.4, w - 30), (-2.0, 7.0 + k)),
            Actor("star", FILLS[2], (32, 32), (h * 0.5, w * 0.6), (rng.uniform(-3, 3), rng.uniform(-8, 8))),
        )
        clip = AnimeClip(w, h, [Scene(3, actors, pan=(0.8 * k, -1.5 - k), seed=40 + k)])
        to_t = lambda a: torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 0)))[None].float()
        out.append((to_t(clip.frame(0)), to_t(clip.frame(1)), to_t(clip.truth(0.5))))
    return out


def psnr(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    d = (a - b) ** 2
    mse = float(d.mean() if mask is None else d[:, :, mask].mean())
    return 10 * math.log10(1 / max(mse, 1e-12))


def border_mask(h: int, w: int, band: int = 24) -> torch.Tensor:
    m = torch.zeros(h, w, dtype=torch.bool)
    m[:band] = m[-band:] = True
    m[:, :band] = m[:, -band:] = True
    return m


def pad(x: torch.Tensor, ph: int, pw: int, mode: str) -> torch.Tensor:
    h, w = x.shape[-2:]
    if mode == "zero":
        return F.pad(x, (0, pw - w, 0, ph - h))
    return F.pad(x, (0, pw - w, 0, ph - h), mode="replicate")


def run_rife(data, h, w):
    from vsafi.models.rife.ifnet import load_ifnet

    net = load_ifnet(weights.weight_path("rife.pkl", "rife"))
    ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
    res = {}
    for mode in ("zero", "replicate"):
        scores = []
        for i0, i1, gt in data:
            with torch.inference_mode():
                out = net(pad(i0, ph, pw, mode), pad(i1, ph, pw, mode), 0.5)[..., :h, :w]
            scores.append((psnr(out, gt), psnr(out, gt, border_mask(h, w))))
        res[f"rife {mode}-pad {ph}x{pw}"] = np.mean(scores, axis=0)
    return res


def run_gmfss(data, h, w, kind):
    from vsafi.models.gmfss.network import load_gmfss

    model = "gmfss" if kind == "base" else "gmfss_union"
    net = load_gmfss(weights.find_weights_dir(model), kind)
    ph, pw = -(-h // 64) * 64, -(-w // 64) * 64
    res = {}
    for mode in ("resize", "replicate"):
        scores = []
        for i0, i1, gt in data:
            with torch.inference_mode():
                if mode == "resize":
                    a = F.interpolate(i0, (ph, pw), mode="bilinear")
                    b = F.interpolate(i1, (ph, pw), mode="bilinear")
                    out = F.interpolate(net(a, b, 0.5), (h, w), mode="bilinear")
                else:
                    out = net(pad(i0, ph, pw, mode), pad(i1, ph, pw, mode), 0.5)[..., :h, :w]
            scores.append((psnr(out, gt), psnr(out, gt, border_mask(h, w))))
        res[f"gmfss-{kind} {mode} {ph}x{pw}"] = np.mean(scores, axis=0)
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="270x480")
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--models", default="rife,gmfss,gmfss_union")
    args = p.parse_args()
    h, w = map(int, args.size.split("x"))
    torch.set_grad_enabled(False)
    data = pairs(h, w, args.pairs)
    start = time.monotonic()
    results = {}
    models = args.models.split(",")
    if "rife" in models:
        results.update(run_rife(data, h, w))
    if "gmfss" in models:
        results.update(run_gmfss(data, h, w, "base"))
    if "gmfss_union" in models:
        results.update(run_gmfss(data, h, w, "union"))
    print(f"{args.pairs} pairs at {h}x{w}, PSNR (dB) of t=1/2 against the rendered truth:")
    print(f"{'preparation':36s} {'whole':>8s} {'border':>8s}")
    for name, (whole, border) in results.items():
        print(f"{name:36s} {whole:8.2f} {border:8.2f}")
    print(f"({time.monotonic() - start:.0f} s)")


if __name__ == "__main__":
    main()
