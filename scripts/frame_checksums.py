"""Checksums of every output frame for every mode × model, to prove a refactor changed nothing.

Renders a short synthetic clip with a cut (two scenes, characters on twos and threes over a
pan) through the public filter on the CPU in fp32, every mode with every model, and prints one
JSON object: ``{"mode/model": [sha256 of frame 0, …]}``, each over the frame's planes and the
props that carry the plan. Run it before a refactor, save the output, run it after, compare:

    .venv/bin/python scripts/frame_checksums.py > before.json
    .venv/bin/python scripts/frame_checksums.py --compare before.json

Bit-identical is only expected on one machine and one torch build (CPU kernels may round
differently elsewhere). Models whose weights are missing are skipped and named on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from fractions import Fraction

import numpy as np
import vapoursynth as vs

import vsafi
from vsafi.synthetic import AnimeClip, cadence_scene, to_vs_clip
from vsafi.models.registry import MODELS
from vsafi.modes import MODES
from vsafi.weights import find_weights_dir

PROPS = ("vsafi_time", "vsafi_plan", "vsafi_n_forward", "_SceneChangePrev", "_SceneChangeNext")


def source(width: int, height: int) -> vs.VideoNode:
    anime = AnimeClip(width, height, [cadence_scene(width, height, 2, length=10, seed=4),
                                      cadence_scene(width, height, 3, length=8, seed=5)])
    return to_vs_clip(anime, format=vs.YUV420P8)


def frame_hash(frame: vs.VideoFrame) -> str:
    h = hashlib.sha256()
    for p in range(frame.format.num_planes):
        h.update(np.asarray(frame[p]).tobytes())
    for key in PROPS:
        h.update(f"{key}={frame.props.get(key)!r};".encode())
    return h.hexdigest()


def checksums(width: int, height: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    clip = source(width, height)
    for model in MODELS:
        try:
            find_weights_dir(model)
        except FileNotFoundError:
            print(f"skipped {model}: weights missing (python -m vsafi.weights install)", file=sys.stderr)
            continue
        for mode in MODES:
            node = vsafi.interpolate(clip, fps=Fraction(60000, 1001), mode=mode, model=model, device="cpu")
            out[f"{mode}/{model}"] = [frame_hash(node.get_frame(j)) for j in range(node.num_frames)]
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="128x64")
    p.add_argument("--compare", help="a JSON file printed by an earlier run: report frames that differ")
    args = p.parse_args()
    w, h = map(int, args.size.split("x"))
    now = checksums(w, h)
    if not args.compare:
        print(json.dumps(now, indent=1))
        return 0
    before = json.loads(open(args.compare).read())
    bad = 0
    for key in sorted(set(before) | set(now)):
        a, b = before.get(key), now.get(key)
        if a is None or b is None:
            print(f"{key}: only {'after' if a is None else 'before'}")
            bad += 1
            continue
        differ = [j for j, (x, y) in enumerate(zip(a, b)) if x != y]
        if differ or len(a) != len(b):
            print(f"{key}: {len(differ)} of {len(a)} frames differ (first {differ[:5]}), lengths {len(a)}/{len(b)}")
            bad += 1
        else:
            print(f"{key}: {len(a)} frames identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
