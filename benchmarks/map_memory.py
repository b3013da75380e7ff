"""Memory of DRBA's ratio maps: peak RSS over the inputs of k ``held_ratio`` calls started at once.

Each k runs in a fresh process (peak RSS is per process) on random pictures and flows of one
size on the CPU; the labelling's memory depends on the shape, not on the picture. Prints one
JSON object per k. What it shows is why a filter computes one map at a time
(``MAP_SLOTS``, docs/drba.md §10).

    .venv/bin/python benchmarks/map_memory.py [--size 1920x1088] [--at-once 1,3,6]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading

from memory import rss_mib  # benchmarks/ is this script's folder


def child(width: int, height: int, at_once: int) -> dict:
    import torch

    from vsafi.modes.drba.ratio import held_ratio

    gen = torch.Generator().manual_seed(0)
    pictures = [torch.rand(1, 3, height, width, generator=gen) for _ in range(3)]
    flows = [torch.randn(1, 2, height, width, generator=gen) * 3 for _ in range(2)]
    before = rss_mib()
    start = threading.Barrier(at_once)

    def one() -> None:
        start.wait()
        with torch.inference_mode():
            held_ratio(*flows, *pictures)

    threads = [threading.Thread(target=one) for _ in range(at_once)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": f"{width}x{height}", "at_once": at_once, "peak_over_inputs_mib": round(peak - before)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="1920x1088", help="WxH of the flow grid")
    p.add_argument("--at-once", default="1,3,6", help="calls started together, one process each")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    width, height = map(int, args.size.split("x"))
    if args.child:
        print(json.dumps(child(width, height, args.child)))
        return
    for k in map(int, args.at_once.split(",")):
        proc = subprocess.run([sys.executable, __file__, "--size", args.size, "--child", str(k)],
                              capture_output=True, text=True)
        print(proc.stdout.strip() if proc.returncode == 0 else json.dumps({"at_once": k, "error": proc.stderr[-2000:]}),
              flush=True)


if __name__ == "__main__":
    main()
