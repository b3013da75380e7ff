"""Where a playback's wall time goes, by sampling every Python thread's stack.

On the GPU RIFE's wall time was 1.9–3.0× the model's own (benchmarks/RESULTS.md). cProfile sees only the
main thread, while VapourSynth renders frames in its worker threads, so this samples
``sys._current_frames()`` every ``--interval`` ms during one playback and counts, per sample
and thread, the innermost frame in vsafi's code and the innermost frame overall (a torch call
that waits on the GPU shows as that call). Threads idle in VapourSynth (no Python frame) are
not counted.

    .venv/bin/python benchmarks/host_profile.py [--size 1920x1080] [--frames 120] [--model rife]
                                                [--mode plain] [--device cuda] [--top 25]
"""

from __future__ import annotations

import argparse
import collections
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import torch
import vapoursynth as vs

import vsafi
from speed import source_in_memory

core = vs.core
PACKAGE = str(Path(vsafi.__file__).resolve().parent)


def _where(frame) -> str:
    code = frame.f_code
    return f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}"


class Sampler(threading.Thread):
    """Counts the innermost vsafi frame and the innermost frame of every worker thread."""

    def __init__(self, interval_s: float) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.ours: collections.Counter[str] = collections.Counter()
        self.leaf: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.halt = threading.Event()

    def run(self) -> None:
        skip = {threading.get_ident(), threading.main_thread().ident}  # the main thread only waits
        while not self.halt.is_set():
            for ident, frame in sys._current_frames().items():
                if ident in skip:
                    continue
                self.samples += 1
                self.leaf[_where(frame)] += 1
                f = frame
                while f is not None and not f.f_code.co_filename.startswith(PACKAGE):
                    f = f.f_back
                self.ours[_where(f) if f is not None else "(outside vsafi)"] += 1
            time.sleep(self.interval_s)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="480x272")
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--model", default="rife")
    p.add_argument("--mode", default="plain")
    p.add_argument("--device", default=None)
    p.add_argument("--interval", type=float, default=2.0, help="ms between samples")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args()
    w, h = map(int, args.size.split("x"))
    src = source_in_memory(w, h)
    kw = dict(fps=Fraction(60000, 1001), mode=args.mode, model=args.model, device=args.device)
    for frame in vsafi.interpolate(src, **kw)[:4].frames(close=True):  # load and warm up
        pass
    out = vsafi.interpolate(src, **kw)[: args.frames]
    sampler = Sampler(args.interval / 1e3)
    sampler.start()
    start = time.perf_counter()
    for frame in out.frames(prefetch=core.num_threads, close=True):
        pass
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    sampler.halt.set()
    sampler.join()
    print(f"{args.model} {args.mode} {args.size} on {args.device or 'default'}: {out.num_frames} frames in "
          f"{wall:.2f} s ({out.num_frames / wall:.1f} fps), {core.num_threads} threads, {sampler.samples} samples")
    for title, counts in (("innermost vsafi frame", sampler.ours), ("innermost frame", sampler.leaf)):
        print(f"\n{title}: share of thread samples")
        for where, n in counts.most_common(args.top):
            print(f"{100 * n / max(sampler.samples, 1):6.1f}%  {where}")


if __name__ == "__main__":
    main()
