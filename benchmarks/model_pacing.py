"""Does the engine keep a fast model busy? Each mode played against a model that takes a GPU's time.

The model is the tests' crossfade (tests/toy_model.py) paced like RIFE 4.6 on an H200 at 1080p
(benchmarks/RESULTS.md, "GPU: 1080p on an H200": 5.6 ms a synthesis, 6.8 ms a flow pass), slowed
ten times by default so that the host's own work on a small CPU (colour conversion, cut tests,
DRBA's maps, at a small frame size) stays well below the model's: one pass at a time under a
lock, sleeping for its time, which frees the GIL as a wait for the GPU does. ``busy`` is the
model's share of the wall time from the first request: 1.0 means the model is the only limit;
less means outputs wait on one another, as forward's threads wait for the pyramid midpoints
they share (benchmarks/host_profile.py), or on the host. Prints one JSON object per mode,
thread count and batch size.

``--batch 1,4`` also plays each mode with batched passes (``batch=``, vsafi/models/batching.py):
a pass of B requests, padded to B, takes B × ``--batch-gain`` times one request's (RIFE 4.6's
network on an H200 took 4.3 ms a frame in a batch of 4 against 4.9 alone: 0.878).
``mean_batch`` is how full the passes were under each mode's real request pattern; a padded
batch pays only when that fill exceeds B × gain, which ``fps`` against batch 1 shows.

    .venv/bin/python benchmarks/model_pacing.py [--modes plain,forward,drba,drop] [--threads 4,8,16]
        [--frames 120] [--size 256x144] [--synth-ms 56] [--flows-ms 68] [--batch 1,4] [--batch-gain 0.878]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import torch
import vapoursynth as vs

import vsafi
from vsafi.engine.backends import get_backend
from vsafi.models.backend import TimeMap
from vsafi.models.batching import Batcher
from vsafi.models.registry import MODELS, ModelSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from speed import source_in_memory  # noqa: E402  (benchmarks/ is this script's folder)
from toy_model import Crossfade  # noqa: E402

PACED = "paced_crossfade"
PACE = {"synth": 0.056, "flows": 0.068, "batch_gain": 4.3 / 4.9}


class PacedCrossfade(Crossfade):
    """A crossfade whose synthesis and flow passes take ``PACE`` seconds, one pass at a time,
    batched as RIFE's are when :meth:`batch` says so."""

    caches_pairs = False  # as RIFE: its pair state is the two images

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.lock = threading.Lock()
        self.busy = 0.0
        self.batcher: Batcher | None = None

    def batch(self, size: int) -> None:
        self.batcher = Batcher(size, self.lock) if size > 1 else None

    def _sleep(self, kind: str, n: int) -> None:
        seconds = PACE[kind] * (1 if n == 1 else n * PACE["batch_gain"])
        time.sleep(seconds)
        self.busy += seconds

    def _synth_pass(self, img0, img1, t):
        self._sleep("synth", img0.shape[0])
        t = t if t.dim() == 4 else t.view(-1, 1, 1, 1)
        return img0 * (1 - t) + img1 * t

    def _flows_pass(self, img0, img1):
        self._sleep("flows", img0.shape[0])
        return torch.zeros_like(img0[:, :2])

    def _call(self, net, *args):
        if self.batcher is not None:
            return self.batcher(net, *args)
        with self.lock:
            return net(*args)

    def synth(self, state, t):
        self.calls += 1
        step = t.output if isinstance(t, TimeMap) else torch.full((1,), t)
        return self._call(self._synth_pass, state.img0, state.img1, step)

    def flows(self, state):
        still = self._call(self._flows_pass, state.img0, state.img1)
        return still, still


def load(spec, folder, device, dtype, scale) -> PacedCrossfade:
    return PacedCrossfade(spec, device, dtype, scale)


def play(src: vs.VideoNode, mode: str, threads: int, frames: int, batch: int = 1) -> dict:
    vs.core.num_threads = threads
    backend = get_backend(PACED, device="cpu", batch=batch)
    busy, synths = backend.busy, backend.calls
    passes, served = (backend.batcher.passes, backend.batcher.served) if backend.batcher else (0, 0)
    out = vsafi.interpolate(src, fps=Fraction(60000, 1001), mode=mode, model=PACED, device="cpu", batch=batch)
    out = out[:min(frames, out.num_frames)]
    start = time.perf_counter()
    for _ in out.frames(prefetch=threads, backlog=threads):
        pass
    wall = time.perf_counter() - start
    busy = backend.busy - busy
    row = {"mode": mode, "threads": threads, "batch": batch, "frames": out.num_frames,
           "syntheses": backend.calls - synths, "wall_s": round(wall, 2), "fps": round(out.num_frames / wall, 2),
           "model_s": round(busy, 2), "busy": round(busy / wall, 3)}
    if backend.batcher:
        passes, served = backend.batcher.passes - passes, backend.batcher.served - served
        row.update(passes=passes, mean_batch=round(served / passes, 2))
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modes", default="plain,forward,drba,drop")
    p.add_argument("--threads", default="4,8,16", help="VapourSynth threads and prefetch")
    p.add_argument("--frames", type=int, default=120, help="output frames per run")
    p.add_argument("--size", default="256x144", help="WxH")
    p.add_argument("--synth-ms", type=float, default=1000 * PACE["synth"])
    p.add_argument("--flows-ms", type=float, default=1000 * PACE["flows"])
    p.add_argument("--batch", default="1", help="batch sizes (batch=), e.g. 1,4")
    p.add_argument("--batch-gain", type=float, default=PACE["batch_gain"],
                   help="time per request in a batched pass, relative to a pass of one")
    args = p.parse_args()
    PACE.update(synth=args.synth_ms / 1000, flows=args.flows_ms / 1000, batch_gain=args.batch_gain)
    MODELS[PACED] = ModelSpec(PACED, "a crossfade paced like a GPU", (), 8, "replicate", "__main__:load")
    width, height = map(int, args.size.split("x"))
    src = source_in_memory(width, height)
    loops = -(-args.frames * 2 // 5 // src.num_frames) + 1
    src = src * loops
    for mode in args.modes.split(","):
        for threads in map(int, args.threads.split(",")):
            for batch in map(int, args.batch.split(",")):
                print(json.dumps(play(src, mode, threads, args.frames, batch)), flush=True)


if __name__ == "__main__":
    main()
