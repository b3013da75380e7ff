"""Quality of every mode × model on synthetic anime with known motion, against the continuous truth.

Scenes (each alone, 23.976 → 59.94 fps unless ``--factor``): actors on twos, on threes, on twos
and threes in one shot, held actors over a background panning on ones, an actor on ones with a
still camera, a flat box on ones over a counter-pan, and two shots with a cut. For each run:

- per actor: ``held``, the share of consecutive output pairs where it did not move (< 0.1 px;
  the stutter of holds), and ``judder``, the spread of its per-output displacement against the
  truth's: std(Δx − Δx_true) / mean |Δx_true| (0 = moves exactly like the truth);
- ``bg dB``: PSNR of the background (actors masked out) against the continuous truth;
- ``ones dB``: PSNR of the boxes around actors drawn on ones against the truth;
- ``blend``: at outputs between the two frames around a cut, the mean absolute difference to
  the nearer of those two frames (0: the output is one of them; a blend of two shots is large);
- ``calls``: model passes.

Reference rows: ``repeat`` (each output shows F[floor τ]) and ``crossfade`` ((1 − w)·F[k] + w·F[k+1]).
Writes the table as markdown (``--md``) and a plot (``--plot``).

    .venv/bin/python benchmarks/quality.py [--models rife,gmfss_union] [--modes ...] [--size 480x272]
                                           [--md table.md] [--plot quality.png] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np
import vapoursynth as vs

import vsafi
from vsafi.engine.backends import get_backend
from vsafi.hostmem import hold_mmap_threshold
from vsafi.models.registry import MODELS
from vsafi.modes import MODES
from vsafi.synthetic import FILLS, Actor, AnimeClip, Scene, centroid_of_colour, to_vs_clip

#: Below this movement (px) between consecutive outputs an actor counts as held.
HELD_PX = 0.1
#: Margin (px) around an actor's true outline masked out of the background and kept in its box.
ACTOR_MARGIN = 6


def scenes(w: int, h: int, length: int) -> dict[str, list[Scene]]:
    """The benchmark's shots; speeds scale with the width (5 px per frame at 480)."""
    v = w / 96
    r = (h / 7, h / 6)

    def actor(shape: str, k: int, y: float, x: float, vx: float, cadence: int) -> Actor:
        return Actor(shape, FILLS[k], r, (y, x), (0.0, vx), cadence, outline=min(2.5, r[0] / 8))

    left, right = 0.2 * w, 0.8 * w
    return {
        "twos": [Scene(length, (actor("ellipse", 0, h / 2, left, v, 2),), seed=1)],
        "threes": [Scene(length, (actor("star", 1, h / 2, right, -v, 3),), seed=2)],
        "mixed 2+3": [Scene(length, (actor("ellipse", 0, h / 4, left, v, 2),
                                     actor("box", 2, 3 * h / 4, right, -v, 3)), seed=3)],
        "pan under twos": [Scene(length, (actor("box", 3, h / 2, left, v, 2),), pan=(0.0, -0.4 * v), seed=4)],
        "ones still": [Scene(length, (actor("ellipse", 4, h / 2, left, v, 1),), seed=5)],
        "box ones still": [Scene(length, (actor("box", 1, h / 2, left, v, 1),), seed=6)],
        "ones counter-pan": [Scene(length, (actor("box", 1, h / 2, left, v, 1),), pan=(0.0, -0.4 * v), seed=6)],
        "cut": [Scene(length // 2, (actor("ellipse", 0, h / 2, left, v, 1),), seed=7),
                Scene(length - length // 2, (actor("star", 2, h / 2, right, -v, 2),), pan=(0.0, 0.3 * v), seed=8)],
    }


def _rgb(frame: vs.VideoFrame) -> np.ndarray:
    return np.stack([np.asarray(frame[p]) for p in range(3)], -1).astype(np.float32)


def _psnr(err2: float) -> float:
    return 10 * math.log10(1 / max(err2, 1e-12))


def _box(ys: np.ndarray, xs: np.ndarray, act: Actor, centre: tuple[float, float]) -> np.ndarray:
    """Pixels within the actor's half extent plus ACTOR_MARGIN of ``centre`` (y, x)."""
    return ((np.abs(ys - centre[0]) <= act.size[0] + ACTOR_MARGIN)
            & (np.abs(xs - centre[1]) <= act.size[1] + ACTOR_MARGIN))


@dataclass
class Score:
    held: list[float]
    judder: list[float]
    bg_db: float
    ones_db: float | None
    blend: float | None
    calls: int | None


def score(clip: AnimeClip, outputs: Callable[[int], np.ndarray], n_out: int, ratio: Fraction,
          calls: int | None = None) -> Score:
    """Measures of outputs 0 .. n_out − 1 of ``clip`` at ``ratio`` × its rate (see the module)."""
    h, w = clip.height, clip.width
    starts = clip.scene_starts + [clip.num_frames]
    taus = [min(Fraction(j) / ratio, Fraction(clip.num_frames - 1)) for j in range(n_out)]
    pictures = [outputs(j) for j in range(n_out)]
    ys, xs = np.mgrid[0:h, 0:w]
    bg_err, bg_n, ones_err, ones_n = 0.0, 0, 0.0, 0
    held, judder = [], []
    blends = []
    for s, (a, b) in enumerate(zip(starts, starts[1:])):
        js = [j for j, t in enumerate(taus) if a <= t < b - 1 or (t == b - 1 == clip.num_frames - 1)]
        actors = clip.scenes[s].actors
        for j in js:
            truth = clip.truth(taus[j])
            mask = np.ones((h, w), bool)
            near = [math.floor(taus[j]), min(math.ceil(taus[j]), b - 1)]
            for k, act in enumerate(actors):
                box = _box(ys, xs, act, clip.true_centre(k, taus[j]))
                # The background is what no actor covers: not where it truly is, nor where the
                # drawings around this time have it.
                mask &= ~box
                for i in near:
                    mask &= ~_box(ys, xs, act, clip.drawn_centre(k, i))
                if act.cadence == 1:
                    ones_err += float(((pictures[j][box] - truth[box]) ** 2).sum())
                    ones_n += int(box.sum()) * 3
            bg_err += float(((pictures[j][mask] - truth[mask]) ** 2).sum())
            bg_n += int(mask.sum()) * 3
        for k, act in enumerate(actors):
            got = [centroid_of_colour(pictures[j], act.fill) for j in js]
            true = [clip.true_centre(k, taus[j])[1] for j in js]
            pairs = [(g2[1] - g1[1], t2 - t1) for g1, g2, t1, t2 in zip(got, got[1:], true, true[1:])
                     if g1 is not None and g2 is not None]
            if pairs:
                d, dt = np.array(pairs).T
                held.append(float(np.mean(np.abs(d) < HELD_PX)))
                judder.append(float(np.std(d - dt) / max(np.mean(np.abs(dt)), 1e-9)))
        if s:
            frames = (clip.frame(a - 1), clip.frame(a))
            for j, t in enumerate(taus):
                if a - 1 < t < a:
                    blends.append(min(float(np.abs(pictures[j] - f).mean()) for f in frames))
    return Score(held, judder, _psnr(bg_err / max(bg_n, 1)), _psnr(ones_err / ones_n) if ones_n else None,
                 max(blends) if blends else None, calls)


def run_filter(clip: AnimeClip, src: vs.VideoNode, ratio: Fraction, mode: str, model: str) -> Score:
    backend = get_backend(model, device="cpu")
    out = vsafi.interpolate(src, factor=ratio, mode=mode, model=model, device="cpu")
    before = backend.calls
    frames = {j: _rgb(out.get_frame(j)) for j in range(out.num_frames)}
    return score(clip, frames.__getitem__, out.num_frames, ratio, backend.calls - before)


def references(clip: AnimeClip, n_out: int, ratio: Fraction) -> dict[str, Score]:
    sources = [clip.frame(i) for i in range(clip.num_frames)]
    last = clip.num_frames - 1

    def repeat(j: int) -> np.ndarray:
        return sources[min(math.floor(Fraction(j) / ratio), last)]

    def crossfade(j: int) -> np.ndarray:
        t = min(Fraction(j) / ratio, Fraction(last))
        k = math.floor(t)
        wgt = float(t - k)
        return sources[k] if wgt == 0 else (1 - wgt) * sources[k] + wgt * sources[k + 1]

    return {"repeat": score(clip, repeat, n_out, ratio), "crossfade": score(clip, crossfade, n_out, ratio)}


def _fmt(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


def row(name: str, sc: str, s: Score) -> str:
    held = "/".join(f"{x:.2f}" for x in s.held)
    judder = "/".join(f"{x:.2f}" for x in s.judder)
    return (f"| {sc} | {name} | {held} | {judder} | {s.bg_db:.1f} | {_fmt(s.ones_db, '.1f')} | "
            f"{_fmt(s.blend, '.3f')} | {_fmt(s.calls, 'd')} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="480x272")
    p.add_argument("--length", type=int, default=12, help="source frames per scene")
    p.add_argument("--factor", default="5/2", help="output rate / source rate")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--scenes", default=None, help="comma-separated scene names (default: all)")
    p.add_argument("--md", default=None, help="write the table here as markdown")
    p.add_argument("--plot", default=None, help="write a PNG of judder and PSNR per run here")
    p.add_argument("--json", action="store_true", help="one JSON object per scene x run")
    p.add_argument("--quick", action="store_true", help="CI size: 128x72, 8 frames a scene, rife")
    args = p.parse_args()
    if args.quick:
        args.size, args.length, args.models = "128x72", 8, "rife"
    hold_mmap_threshold()
    w, h = map(int, args.size.split("x"))
    ratio = Fraction(args.factor)
    shots = scenes(w, h, args.length)
    if args.scenes:
        shots = {k: shots[k] for k in args.scenes.split(",")}
    lines = [f"{w}x{h}, {args.length} source frames a scene, output {ratio} x the source rate; "
             f"held and judder per actor", "",
             "| scene | run | held | judder | bg dB | ones dB | blend | calls |", "|---|---|---|---|---|---|---|---|"]
    results = []
    for sc, parts in shots.items():
        clip = AnimeClip(w, h, parts)
        src = to_vs_clip(clip)
        n_out = vsafi.interpolate(src, factor=ratio, mode="plain", device="cpu").num_frames
        runs = references(clip, n_out, ratio)
        for model in args.models.split(","):
            for mode in args.modes.split(","):
                runs[f"{mode} {model}"] = run_filter(clip, src, ratio, mode, model)
        for name, s in runs.items():
            results.append({"scene": sc, "run": name, **s.__dict__})
            line = row(name, sc, s)
            lines.append(line)
            if args.json:
                print(json.dumps(results[-1]), flush=True)
            else:
                print(line, flush=True)
    if args.md:
        with open(args.md, "w") as f:
            f.write("\n".join(lines) + "\n")
    if args.plot:
        plot(results, args.plot)


def plot(results: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sorted({r["run"] for r in results})
    shots = list(dict.fromkeys(r["scene"] for r in results))
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    for i, run in enumerate(runs):
        rs = {r["scene"]: r for r in results if r["run"] == run}
        x = np.arange(len(shots)) + (i - len(runs) / 2) * 0.8 / len(runs)
        axes[0].bar(x, [max(rs[s]["judder"], default=0) for s in shots], 0.8 / len(runs), label=run)
        axes[1].bar(x, [rs[s]["bg_db"] for s in shots], 0.8 / len(runs), label=run)
    for ax, title in zip(axes, ("largest judder of an actor (0 = like the truth)", "background PSNR, dB")):
        ax.set_xticks(np.arange(len(shots)), shots, rotation=30, ha="right")
        ax.set_title(title)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
