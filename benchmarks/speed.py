"""Seconds per output frame per model and mode, and what pair reuse saves, in one run.

Sequential playback of the synthetic demo clip at 23.976 -> 59.94 fps through the public
filter (cold cache, models already loaded), counting model calls; then, for GMFSS, the cost of
a naive port that recomputes the pair work (GMFlow both ways, metric, features) per output
frame, as a ratio to vsafi's pair-cached cost.

    .venv/bin/python benchmarks/speed.py [--size 480x272] [--frames 30] [--models rife,gmfss,gmfss_union]
                                         [--device cuda] [--modes plain,forward,drba]
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import torch
import vapoursynth as vs

import vsafi
from vsafi.engine.backends import get_backend
from vsafi.engine.canvas import Canvas
from vsafi.models.registry import MODELS
from vsafi.modes import MODES
from vsafi.synthetic import demo_clip, to_vs_clip


def _sync(device: str | None) -> None:
    if device and device.startswith("cuda"):
        torch.cuda.synchronize()


def per_frame(src, model: str, mode: str, frames: int, device: str | None) -> tuple[float, int]:
    out = vsafi.interpolate(src, fps=Fraction(60000, 1001), mode=mode, model=model, device=device)
    backend = get_backend(model, device=device)
    out.get_frame(0)
    calls = backend.calls
    _sync(device)
    start = time.perf_counter()
    for j in range(1, frames + 1):
        out.get_frame(j)
    _sync(device)
    return (time.perf_counter() - start) / frames, backend.calls - calls


def pair_reuse_ratio(model: str, h: int, w: int, device: str | None, repeats: int = 3) -> tuple[float, float]:
    """(seconds of pair work, seconds of time work) of one GMFSS step at this size."""
    backend = get_backend(model, device=device)
    ph, pw = Canvas(h, w, backend.unit, backend.canvas_mode).padded
    a = torch.rand(1, 3, ph, pw, device=backend.device, dtype=backend.dtype)
    b = torch.rand(1, 3, ph, pw, device=backend.device, dtype=backend.dtype)
    state = backend.pair(a, b)
    backend.synth(state, 0.5)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        state = backend.pair(a, b)
    _sync(device)
    t1 = time.perf_counter()
    for _ in range(repeats):
        backend.synth(state, 0.5)
    _sync(device)
    t2 = time.perf_counter()
    return (t1 - t0) / repeats, (t2 - t1) / repeats


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="480x272", help="WxH")
    p.add_argument("--frames", type=int, default=30, help="output frames timed per run")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--device", default=None)
    args = p.parse_args()
    w, h = map(int, args.size.split("x"))
    torch.set_grad_enabled(False)
    src = to_vs_clip(demo_clip(w, h), fps=Fraction(24000, 1001), format=vs.YUV420P8)
    vs.core.num_threads = max(1, torch.get_num_threads())
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    print(f"{w}x{h}, 23.976 -> 59.94 fps, {args.frames} output frames per run, device {device}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'model':12s} {'mode':8s} {'s/frame':>9s} {'fps':>7s} {'model calls':>12s}")
    for model in args.models.split(","):
        for mode in args.modes.split(","):
            spf, calls = per_frame(src, model, mode, args.frames, device)
            print(f"{model:12s} {mode:8s} {spf:9.3f} {1 / spf:7.2f} {calls:12d}")
    for model in args.models.split(","):
        if not get_backend(model, device=device).caches_pairs:
            continue
        pair_s, time_s = pair_reuse_ratio(model, h, w, device)
        naive = pair_s + time_s
        cached = pair_s / 2.5 + time_s
        print(f"{model}: pair work {pair_s:.3f} s, time work {time_s:.3f} s per output; at 2.5x a naive port "
              f"pays {naive:.3f} s/frame, pair reuse {cached:.3f} s/frame: {naive / cached:.2f}x faster")


if __name__ == "__main__":
    main()
