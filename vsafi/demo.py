"""`python -m vsafi.demo`: render a synthetic anime clip and interpolate it to 59.94 fps.

Writes the 23.976 fps source, the ``plain`` result (holds stay holds) and the ``forward``
result (holds smoothed) side by side so the difference is visible in any player.
"""

from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction
from pathlib import Path

import vapoursynth as vs

from . import interpolate
from .encode import encode
from .ffmpeg_args import Encoder
from .models.registry import DEFAULT_MODEL, MODELS
from .synthetic import demo_clip, to_vs_clip

core = vs.core


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m vsafi.demo", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("demo"))
    p.add_argument("--model", default=DEFAULT_MODEL, choices=list(MODELS))
    p.add_argument("--device", default=None)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    anime = demo_clip(480, 272)
    src = to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.YUV420P8)
    fps = Fraction(60000, 1001)
    results = {"source_23.976": src}
    for mode in ("plain", "forward"):
        results[f"{mode}_59.94"] = interpolate(src, fps=fps, mode=mode, model=args.model, device=args.device)
    side = core.std.StackHorizontal([
        core.text.Text(results["plain_59.94"], "plain: holds stay holds"),
        core.text.Text(results["forward_59.94"], "forward: holds smoothed"),
    ])
    results["compare_59.94"] = side
    for name, clip in results.items():
        dst = args.out / f"{name}.mp4"
        start = time.monotonic()
        if not encode(clip, dst, Encoder(crf=18)):
            return 1
        took = time.monotonic() - start
        print(f"wrote {dst}: {clip.num_frames} frames at {clip.fps} fps ({took:.1f} s)")
    print(f"\nOpen {args.out / 'compare_59.94.mp4'} in any player (mpv --loop {args.out}/compare_59.94.mp4).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
