"""What a smaller tensor cache (``cache_mb``) costs: work done again, per mode, at 1080p.

The model is the tests' motionless crossfade (tests/toy_model.py), so the run measures the
engine's reuse, not a network: its syntheses and pair states count model work, the cache's
'src' computations count source frames converted to the canvas. Played the way vspipe plays
(``frames(prefetch=threads)``) from the demo clip held in memory, on the CPU in float32 (a GPU in
fp16 stores source frames in half the bytes). Prints one JSON object per mode and budget; the
peak is the largest the cache held.

    .venv/bin/python benchmarks/cache_budget.py [--modes plain,forward,drba,drop]
        [--budgets 256,512,1024,2048] [--frames 110] [--size 1920x1080] [--threads 16]
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

import vapoursynth as vs

import vsafi
from vsafi.engine import cache as cache_module
from vsafi.engine.backends import get_backend
from vsafi.models.registry import MODELS, ModelSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from speed import source_in_memory  # noqa: E402  (benchmarks/ is this script's folder)

TOY = "crossfade"


class WatchedCache(cache_module.OnceCache):
    """The engine's cache, remembering the most bytes it held."""

    made: list["WatchedCache"] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.peak = 0
        WatchedCache.made.append(self)

    def _store(self, key, value) -> None:
        super()._store(key, value)
        self.peak = max(self.peak, self.size_bytes)


def play(src: vs.VideoNode, mode: str, budget_mib: int, frames: int, threads: int) -> dict:
    WatchedCache.made.clear()
    backend = get_backend(TOY, device="cpu")
    synths, pairs = backend.calls, backend.pairs
    out = vsafi.interpolate(src, fps=Fraction(60000, 1001), mode=mode, model=TOY, device="cpu",
                            cache_mb=budget_mib)[:frames]
    for _ in out.frames(prefetch=threads, backlog=threads):
        pass
    tensors = max(WatchedCache.made, key=lambda c: c.peak)
    return {"mode": mode, "cache_mb": budget_mib, "syntheses": backend.calls - synths,
            "pair_states": backend.pairs - pairs, "source_conversions": tensors.stats["src"],
            "peak_cache_mib": round(tensors.peak / 2**20)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modes", default="plain,forward,drba,drop")
    p.add_argument("--budgets", default="256,512,1024,2048", help="cache_mb values, MiB")
    p.add_argument("--frames", type=int, default=110, help="output frames per run")
    p.add_argument("--size", default="1920x1080", help="WxH")
    p.add_argument("--threads", type=int, default=16, help="VapourSynth threads and prefetch")
    args = p.parse_args()
    MODELS[TOY] = ModelSpec(TOY, "a crossfade", (), 8, "replicate", "toy_model:load")
    cache_module.OnceCache = WatchedCache
    import vsafi.graph
    vsafi.graph.OnceCache = WatchedCache
    vs.core.num_threads = args.threads
    width, height = map(int, args.size.split("x"))
    src = source_in_memory(width, height)
    for mode in args.modes.split(","):
        for budget in (float(b) if "." in b else int(b) for b in args.budgets.split(",")):
            print(json.dumps(play(src, mode, budget, args.frames, args.threads)), flush=True)


if __name__ == "__main__":
    main()
