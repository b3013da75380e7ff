"""The drop mode's default duplicate threshold, measured on the quality benchmark's scenes.

Every pair of consecutive source frames of benchmarks/quality.py's scenes (and the same at other
sizes) is labelled by the generator: a duplicate when the two frames are drawn identical, else
moving. Each frame goes through the filter's own path (YUV420P8, gray image, analysis image)
after Gaussian noise of ``--noise`` 8-bit code values, an encode's grain. Prints the mean absolute
difference of the two analysis images for both labels and the threshold halfway between the
largest duplicate and the smallest move on a log scale.

    .venv/bin/python benchmarks/drop_threshold.py [--noise 1.0] [--sizes 480x272,1920x1080]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import scenes  # noqa: E402

from vsafi.modes.gray import analysis_image  # noqa: E402
from vsafi.synthetic import AnimeClip  # noqa: E402

LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


def gray_8bit(rgb: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Luma as an 8-bit encode stores it (limited range), with grain, back in [0, 1]."""
    y = 16 + 219 * (rgb @ LUMA) + rng.normal(0.0, noise, rgb.shape[:2])
    return np.clip(np.round(y), 0, 255).astype(np.float32) / 255


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--noise", type=float, default=1.0, help="grain, 8-bit code values (std)")
    p.add_argument("--sizes", default="480x272,960x544")
    p.add_argument("--length", type=int, default=12)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    dups, moves = [], []
    for size in args.sizes.split(","):
        w, h = map(int, size.split("x"))
        for parts in scenes(w, h, args.length).values():
            clip = AnimeClip(w, h, parts)
            frames = [clip.frame(i) for i in range(clip.num_frames)]
            grays = [analysis_image(gray_8bit(f, args.noise, rng)) for f in frames]
            starts = set(clip.scene_starts)
            for i in range(1, clip.num_frames):
                if i in starts:
                    continue
                mad = float(np.abs(grays[i] - grays[i - 1]).mean())
                (dups if np.array_equal(frames[i], frames[i - 1]) else moves).append(mad)
    d, m = np.array(dups), np.array(moves)
    print(f"noise {args.noise} code values; {d.size} duplicate pairs: median {np.median(d):.5f}, max {d.max():.5f}; "
          f"{m.size} moving pairs: min {m.min():.5f}, 5th percentile {np.percentile(m, 5):.5f}, "
          f"median {np.median(m):.5f}")
    # The threshold that drops the most duplicates and keeps the most moves (balanced accuracy),
    # halfway on a log scale between the two observed values around it.
    values = np.sort(np.concatenate([d, m]))
    cuts = np.sqrt(values[:-1] * values[1:])
    score = [(np.mean(d < c) + np.mean(m >= c)) / 2 for c in cuts]
    best = cuts[int(np.argmax(score))]
    print(f"threshold {best:.5f}: drops {np.mean(d < best):.1%} of duplicates, keeps {np.mean(m >= best):.1%} "
          f"of moving pairs")


if __name__ == "__main__":
    main()
