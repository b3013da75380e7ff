"""Host and GPU memory of real runs, per model, mode and size: what a user needs to have.

Each combination runs in a fresh process (peaks are per process): the synthetic demo clip,
upscaled to the size and looped to length, is interpolated 23.976 -> 59.94 fps and played the
way vspipe plays it (``frames(prefetch=...)`` over ``core.num_threads`` threads). Prints one
JSON object per run: RSS in MiB after the first output frame, at the middle and at the end (flat
means no growth with clip length), the process's peak RSS, CUDA peaks (allocated by tensors
and reserved by PyTorch's allocator) in GiB, and fps.

    .venv/bin/python benchmarks/memory.py [--models rife] [--modes plain,forward,drba]
        [--sizes 1920x1080,3840x2160] [--frames 2000] [--device cuda] [--threads 16]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from fractions import Fraction


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def child(model: str, mode: str, size: str, frames: int, device: str, threads: int) -> dict:
    import torch
    import vapoursynth as vs

    import vsafi
    from vsafi.synthetic import demo_clip, to_vs_clip

    core = vs.core
    core.num_threads = threads
    w, h = map(int, size.split("x"))
    small = to_vs_clip(demo_clip(480, 272), fps=Fraction(24000, 1001))
    need = -(-frames * 2 // 5) + 2
    src = core.resize.Bicubic(small, w, h, format=vs.YUV420P8, matrix_s="709")
    src = (src * -(-need // src.num_frames))[:need]
    out = vsafi.interpolate(src, fps=Fraction(60000, 1001), mode=mode, model=model, device=device)
    out = out[:frames]
    readings = {}
    start = None
    for j, _ in enumerate(out.frames(prefetch=threads, backlog=threads)):
        if j == 0:
            readings["rss_start_mib"] = rss_mib()
            start = time.perf_counter()
        elif j == frames // 2:
            readings["rss_mid_mib"] = rss_mib()
    elapsed = time.perf_counter() - start
    readings["rss_end_mib"] = rss_mib()
    result = {"model": model, "mode": mode, "size": size, "device": device, "frames": frames,
              "fps": round((frames - 1) / elapsed, 2), **{k: round(v) for k, v in readings.items()},
              "rss_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    if device.startswith("cuda"):
        result["gpu_peak_alloc_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        result["gpu_peak_reserved_gib"] = round(torch.cuda.max_memory_reserved() / 2**30, 2)
        result["gpu"] = torch.cuda.get_device_name()
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="rife")
    p.add_argument("--modes", default="plain,forward,drba")
    p.add_argument("--sizes", default="1920x1080,3840x2160")
    p.add_argument("--frames", type=int, default=2000, help="output frames per run")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.models, args.modes, args.sizes, args.frames, args.device, args.threads)))
        return
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    for model in args.models.split(","):
        for size in args.sizes.split(","):
            for mode in args.modes.split(","):
                cmd = [sys.executable, __file__, "--child", "--models", model, "--modes", mode, "--sizes", size,
                       "--frames", str(args.frames), "--device", device, "--threads", str(args.threads)]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode:
                    print(json.dumps({"model": model, "mode": mode, "size": size, "error": proc.stderr[-2000:]}))
                else:
                    print(proc.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
