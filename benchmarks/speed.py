"""Frames per second of every model × mode, against the model alone for the same calls, in one run.

For each model and mode the filter plays the synthetic demo clip at 23.976 → 59.94 fps the way
vspipe asks for frames (``core.num_threads`` requested ahead), from a cold cache with the model
loaded, and every backend call is counted by kind: pair work, synthesis at one time, synthesis
at a per-pixel TimeMap, endpoint flows. Each kind is then timed alone on canvas-sized tensors,
so ``model_only_fps`` = frames / Σ count × seconds per call: what the run would take if nothing
but the model ran. Last, a fresh filter with a 1 KiB cache fetches outputs shuffled from 8
threads (every intermediate recomputed); ``seek_equals_playback`` says whether each one equals
the playback frame bit for bit.

``--compile off,wait`` measures each compile policy in turn (``compile=``). A compiled run first
renders a few outputs on a separate filter so that its graphs are built before the clock starts
(``compile_s``), and reports ``min_psnr_vs_eager_db``: the worst PSNR of its compared outputs
against the same run's eager, unbatched ones (``--compile off,… --batch 1,…``; a batched run is
compared too). The target is at least 50 dB; null, with ``identical_to_eager`` true, when
every one is the same bits.

``--batch 1,4`` measures each batch size in turn (``batch=``): ``passes`` and ``mean_batch``
say how many network passes served the playback and how full they were on average, and
``model_only_fps`` stays the unbatched model's (one request a pass), so a batch that pays shows
``wall_over_model`` below what batch 1 shows in the same run.

    .venv/bin/python benchmarks/speed.py [--size 1920x1080] [--frames 240] [--models rife,...]
                                         [--modes plain,...] [--device cuda] [--compile off,wait]
                                         [--batch 1,4] [--json] [--quick]

``--json`` prints one object per model × mode; ``--quick`` is the CI size (128x64, 6 frames).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import torch
import vapoursynth as vs

import vsafi
from vsafi.engine.backends import get_backend
from vsafi.engine.canvas import Canvas
from vsafi.models.backend import TimeMap, conv_layout
from vsafi.models.registry import MODELS
from vsafi.modes import MODES
from vsafi.modes.drba.mode import SIDE_DOMINANCE
from vsafi.synthetic import demo_clip, to_vs_clip

core = vs.core
FPS_OUT = Fraction(60000, 1001)
#: Outputs compared between playback and the shuffled, evicting fetch.
SEEK_PICKS = 16
SEEK_THREADS = 8


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _digest(frame: vs.VideoFrame) -> str:
    h = hashlib.sha1()
    for p in range(frame.format.num_planes):
        h.update(np.asarray(frame[p]).tobytes())
    return h.hexdigest()


def planes_of(frame: vs.VideoFrame) -> list[np.ndarray]:
    return [np.array(frame[p]) for p in range(frame.format.num_planes)]


def psnr_db(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """PSNR over all planes of two frames of one integer format, in dB (inf when equal)."""
    peak = float(np.iinfo(a[0].dtype).max) if np.issubdtype(a[0].dtype, np.integer) else 1.0
    mse = np.mean(np.concatenate([(x.astype(np.float64) - y).ravel() ** 2 for x, y in zip(a, b)]))
    return float("inf") if mse == 0 else float(10 * np.log10(peak * peak / mse))


class CountedCalls:
    """Counts a backend's calls by kind while in a ``with`` block (instance attributes shadow
    the methods and are removed after)."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.counts = {"pair": 0, "synth": 0, "synth_map": 0, "flows": 0}

    def __enter__(self) -> "CountedCalls":
        b = self.backend
        pair, synth, flows = b.pair, b.synth, b.flows

        def counted_pair(*args):
            self.counts["pair"] += 1
            return pair(*args)

        def counted_synth(state, t):
            self.counts["synth_map" if isinstance(t, TimeMap) else "synth"] += 1
            return synth(state, t)

        def counted_flows(state):
            self.counts["flows"] += 1
            return flows(state)

        b.pair, b.synth, b.flows = counted_pair, counted_synth, counted_flows
        return self

    def __exit__(self, *exc) -> None:
        for name in ("pair", "synth", "flows"):
            delattr(self.backend, name)


def seconds_per_call(backend, height: int, width: int, repeats: int = 3) -> dict[str, float]:
    """Each kind of call alone, on random canvas-sized frames, after one warm-up call."""
    ph, pw = Canvas(height, width, backend.unit, backend.canvas_mode).padded
    a, b = (torch.rand(1, 3, ph, pw, device=backend.device, dtype=backend.dtype) for _ in range(2))
    state = backend.pair(a, b)
    flow = backend.flows(state)[0]
    with torch.inference_mode():  # as DRBA makes its maps, so a compiled run has the graph already
        grid = torch.rand(1, 1, *flow.shape[2:], device=backend.device)
    calls = {"pair": lambda: backend.pair(a, b), "synth": lambda: backend.synth(state, 0.5),
             "synth_map": lambda: backend.synth(state, TimeMap(grid, grid, SIDE_DOMINANCE)),
             "flows": lambda: backend.flows(state)}
    out = {}
    for kind, call in calls.items():
        call()
        _sync(backend.device)
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        _sync(backend.device)
        out[kind] = (time.perf_counter() - start) / repeats
    return out


#: Outputs a compiled run renders before timing, to build its graphs (two source pairs' worth
#: at 2.5x covers every call kind of every mode).
WARMUP_OUTPUTS = 6


def measure(src: vs.VideoNode, model: str, mode: str, frames: int, device: str | None,
            compile: str = "off", batch: int = 1) -> tuple[dict, dict[int, list[np.ndarray]]]:
    """The row for one model × mode × compile policy × batch size, and the compared outputs'
    planes."""
    backend = get_backend(model, device=device, compile=compile, batch=batch)
    kw = dict(fps=FPS_OUT, mode=mode, model=model, device=device, compile=compile, batch=batch)
    compile_s = 0.0
    if compile != "off":
        start = time.perf_counter()
        warm = vsafi.interpolate(src, **kw)
        for j in range(min(WARMUP_OUTPUTS, warm.num_frames)):
            warm.get_frame(j)
        compile_s = time.perf_counter() - start
    out = vsafi.interpolate(src, **kw)
    frames = min(frames, out.num_frames)
    picks = set(random.Random(1).sample(range(frames), min(SEEK_PICKS, frames)))
    kept: dict[int, list[np.ndarray]] = {}
    if backend.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(backend.device)
    played: dict[int, str] = {}
    batcher = getattr(backend, "batcher", None)
    passes0, served0 = (batcher.passes, batcher.served) if batcher else (0, 0)
    with CountedCalls(backend) as counted:
        _sync(backend.device)
        start = time.perf_counter()
        for j, frame in enumerate(out[:frames].frames(prefetch=core.num_threads, close=True)):
            if j in picks:
                played[j] = _digest(frame)
                kept[j] = planes_of(frame)
        _sync(backend.device)
        wall = time.perf_counter() - start
    passes = batcher.passes - passes0 if batcher else None
    mean_batch = (batcher.served - served0) / passes if batcher and passes else None
    peak = torch.cuda.max_memory_allocated(backend.device) / 2**30 if backend.device.type == "cuda" else None
    per_call = seconds_per_call(get_backend(model, device=device, compile=compile), src.height, src.width)
    model_only = sum(counted.counts[k] * per_call[k] for k in per_call)

    threads = core.num_threads
    core.num_threads = SEEK_THREADS
    try:
        fresh = vsafi.interpolate(src, **kw, cache_mb=1 / 1024)
        order = sorted(picks)
        random.Random(2).shuffle(order)
        with ThreadPoolExecutor(SEEK_THREADS) as pool:
            seeked = dict(zip(order, pool.map(lambda j: _digest(fresh.get_frame(j)), order)))
    finally:
        core.num_threads = threads
    layout = "channels_last" if conv_layout(backend.device) == torch.channels_last else "nchw"
    return {
        "model": model, "mode": mode, "compile": compile, "compile_s": compile_s, "batch": batch,
        "passes": passes, "mean_batch": mean_batch,
        "size": f"{src.width}x{src.height}", "device": str(backend.device),
        "precision": str(backend.dtype).removeprefix("torch."), "layout": layout, "frames": frames,
        "fps": frames / wall, "model_only_fps": frames / model_only if model_only else None,
        "wall_over_model": wall / model_only if model_only else None,
        "calls": counted.counts, "call_ms": {k: v * 1e3 for k, v in per_call.items()},
        "peak_gib": peak, "seek_equals_playback": seeked == played,
    }, kept


#: Widest frame the demo clip is drawn at; a wider size is its Bicubic upscale. Drawing at
#: 3840x2160 took 38 s on a 2-core CPU against 10 s at 1920x1080.
DRAW_MAX_WIDTH = 1920


def source_in_memory(width: int, height: int) -> vs.VideoNode:
    """The demo clip in YUV420P8, drawn once and then served from memory. Drawn per request it
    was the bottleneck: on an H200 at 1080p, RIFE plain played at 11.8 fps against 231 for the
    model alone, and the worker threads spent most samples in ``synthetic_paint``
    (benchmarks/host_profile.py). A real source is a decoder, far cheaper than that."""
    shrink = -(-width // DRAW_MAX_WIDTH)
    drawn = to_vs_clip(demo_clip(width // shrink // 2 * 2, height // shrink // 2 * 2), fps=Fraction(24000, 1001),
                       format=vs.YUV420P8)
    if shrink > 1:
        drawn = core.resize.Bicubic(drawn, width, height)
    held = [([np.array(f[p]) for p in range(f.format.num_planes)], dict(f.props))
            for f in drawn.frames(close=True)]
    blank = core.std.BlankClip(drawn, keep=True)

    def serve(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        planes, props = held[n]
        for p, plane in enumerate(planes):
            np.copyto(np.asarray(out[p]), plane)
        for key, value in props.items():
            out.props[key] = value
        return out

    return core.std.ModifyFrame(blank, blank, serve)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="480x272", help="WxH")
    p.add_argument("--frames", type=int, default=30, help="output frames played per model x mode")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--device", default=None)
    p.add_argument("--compile", default="off", help="compile policies to measure, e.g. off,wait")
    p.add_argument("--batch", default="1", help="batch sizes to measure, e.g. 1,4")
    p.add_argument("--threads", type=int, default=None, help="VapourSynth threads (default: its own)")
    p.add_argument("--json", action="store_true", help="one JSON object per model x mode")
    p.add_argument("--quick", action="store_true", help="CI size: 128x64, 6 frames")
    args = p.parse_args()
    if args.quick:
        args.size, args.frames = "128x64", 6
    if args.threads:
        core.num_threads = args.threads
    w, h = map(int, args.size.split("x"))
    src = source_in_memory(w, h)
    if not args.json:
        print(f"{w}x{h}, 23.976 -> 59.94 fps, {args.frames} output frames, {core.num_threads} VapourSynth threads, "
              f"torch {torch.__version__}")
        print(f"{'model':12s} {'mode':8s} {'compile':10s} {'batch':>5s} {'fps':>8s} {'model fps':>10s} "
              f"{'wall/model':>11s} {'peak GiB':>9s} {'build s':>8s} {'dB vs eager':>11s} seek")
    for model in args.models.split(","):
        for mode in args.modes.split(","):
            eager: dict[int, list[np.ndarray]] | None = None
            for policy, batch in [(p, int(b)) for p in args.compile.split(",") for b in args.batch.split(",")]:
                r, kept = measure(src, model, mode, args.frames, args.device, policy, batch)
                if policy == "off" and batch == 1:
                    eager = kept
                compared = policy != "off" or batch != 1
                worst = min(psnr_db(kept[j], eager[j]) for j in kept) if compared and eager else None
                r["identical_to_eager"] = None if worst is None else worst == float("inf")
                r["min_psnr_vs_eager_db"] = None if worst is None or worst == float("inf") else worst
                if args.json:
                    print(json.dumps(r), flush=True)
                    continue
                peak = "-" if r["peak_gib"] is None else f"{r['peak_gib']:.2f}"
                db = ("same bits" if r["identical_to_eager"] else "-" if r["min_psnr_vs_eager_db"] is None
                      else f"{r['min_psnr_vs_eager_db']:.1f}")
                print(f"{model:12s} {mode:8s} {policy:10s} {batch:5d} {r['fps']:8.2f} {r['model_only_fps']:10.2f} "
                      f"{r['wall_over_model']:11.2f} {peak:>9s} {r['compile_s']:8.1f} {db:>11s} "
                      f"{'equal' if r['seek_equals_playback'] else 'DIFFERS'}", flush=True)


if __name__ == "__main__":
    main()
