"""Does the engine keep a fast model busy? Each mode played against a model that takes a GPU's time.

The model is the tests' crossfade (tests/toy_model.py) paced like RIFE 4.6 on an H200 at 1080p
(benchmarks/RESULTS.md, "GPU, first run": 5.6 ms a synthesis, 6.8 ms a flow pass), slowed
ten times by default so that the host's own work on a small CPU (colour conversion, cut tests,
DRBA's maps, at a small frame size) stays well below the model's: one pass at a time under a
lock, sleeping for its time, which frees the GIL as a wait for the GPU does. ``busy`` is the
model's share of the wall time from the first request: 1.0 means the model is the only limit;
less means outputs wait on one another, as forward's threads wait for the pyramid midpoints
they share (benchmarks/host_profile.py), or on the host. Prints one JSON object per mode and
thread count.

    .venv/bin/python benchmarks/model_pacing.py [--modes plain,forward,drba,drop] [--threads 4,8,16]
        [--frames 120] [--size 256x144] [--synth-ms 56] [--flows-ms 68]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import vapoursynth as vs

import vsafi
from vsafi.engine.backends import get_backend
from vsafi.models.registry import MODELS, ModelSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from speed import source_in_memory  # noqa: E402  (benchmarks/ is this script's folder)
from toy_model import Crossfade  # noqa: E402

PACED = "paced_crossfade"
PACE = {"synth": 0.056, "flows": 0.068}


class PacedCrossfade(Crossfade):
    """A crossfade whose synthesis and flow passes take ``PACE`` seconds, one at a time."""

    caches_pairs = False  # as RIFE: its pair state is the two images

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.lock = threading.Lock()
        self.busy = 0.0

    def _pass(self, seconds: float) -> None:
        with self.lock:
            time.sleep(seconds)
            self.busy += seconds

    def synth(self, state, t):
        self._pass(PACE["synth"])
        return super().synth(state, t)

    def flows(self, state):
        self._pass(PACE["flows"])
        return super().flows(state)


def load(spec, folder, device, dtype, scale) -> PacedCrossfade:
    return PacedCrossfade(spec, device, dtype, scale)


def play(src: vs.VideoNode, mode: str, threads: int, frames: int) -> dict:
    vs.core.num_threads = threads
    backend = get_backend(PACED, device="cpu")
    busy, synths = backend.busy, backend.calls
    out = vsafi.interpolate(src, fps=Fraction(60000, 1001), mode=mode, model=PACED, device="cpu")
    out = out[:min(frames, out.num_frames)]
    start = time.perf_counter()
    for _ in out.frames(prefetch=threads, backlog=threads):
        pass
    wall = time.perf_counter() - start
    busy = backend.busy - busy
    return {"mode": mode, "threads": threads, "frames": out.num_frames, "syntheses": backend.calls - synths,
            "wall_s": round(wall, 2), "model_s": round(busy, 2), "busy": round(busy / wall, 3)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modes", default="plain,forward,drba,drop")
    p.add_argument("--threads", default="4,8,16", help="VapourSynth threads and prefetch")
    p.add_argument("--frames", type=int, default=120, help="output frames per run")
    p.add_argument("--size", default="256x144", help="WxH")
    p.add_argument("--synth-ms", type=float, default=1000 * PACE["synth"])
    p.add_argument("--flows-ms", type=float, default=1000 * PACE["flows"])
    args = p.parse_args()
    PACE.update(synth=args.synth_ms / 1000, flows=args.flows_ms / 1000)
    MODELS[PACED] = ModelSpec(PACED, "a crossfade paced like a GPU", (), 8, "replicate", "__main__:load")
    width, height = map(int, args.size.split("x"))
    src = source_in_memory(width, height)
    loops = -(-args.frames * 2 // 5 // src.num_frames) + 1
    src = src * loops
    for mode in args.modes.split(","):
        for threads in map(int, args.threads.split(",")):
            print(json.dumps(play(src, mode, threads, args.frames)), flush=True)


if __name__ == "__main__":
    main()
