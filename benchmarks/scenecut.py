"""Scene-cut detection on synthetic shots: recall on hard cuts and false cuts, old test beside new.

Hard cuts between shots of one layout with other palettes, of one background with other
characters, still and panning; non-cuts from fast pans, shakes, flashes, fades, large fast
characters, pose changes, and pans or actions that start mid-shot (``vsafi.synthetic_shots``). Every pair of every case is decided, from 32x32
thumbnails as the filter makes them: the old pairwise test (SSIM < 0.3) and the contrast test
(``ContrastCuts`` with the filter's defaults). Recall counts the cut pairs found; false cuts
count the other pairs marked, over all pairs that are not cuts.

    .venv/bin/python benchmarks/scenecut.py [--cuts 300] [--events 300] [--size 320x180] [--json]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from functools import lru_cache

import numpy as np
import torch

from vsafi.engine.scenecut import (DEFAULT_HARD, DEFAULT_RATIO, MIN_CUT_DIFFERENCE, ContrastCuts, pair_difference,
                                   ssim_small, thumbnail)
from vsafi.synthetic_shots import CutCase, cut_cases, event_cases

OLD_THRESHOLD = 0.3


def decisions(case: CutCase, ratio: float, hard: float, floor: float) -> tuple[list[bool], list[bool]]:
    """(old test, contrast test) for every pair of the case."""
    thumbs = [thumbnail(torch.from_numpy(np.ascontiguousarray(f.transpose(2, 0, 1)))[None]) for f in case.frames]

    @lru_cache(maxsize=None)
    def diff(a: int, b: int) -> float:
        return pair_difference(thumbs[a], thumbs[b])

    new = ContrastCuts(diff, len(thumbs), ratio, hard, floor)
    pairs = range(len(thumbs) - 1)
    return [ssim_small(thumbs[i], thumbs[i + 1]) < OLD_THRESHOLD for i in pairs], [new.is_cut(i) for i in pairs]


def evaluate(cases: list[CutCase], ratio: float, hard: float, floor: float) -> dict:
    counts: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    false_by_kind: Counter[str] = Counter()
    for case in cases:
        old, new = decisions(case, ratio, hard, floor)
        for i, (o, n) in enumerate(zip(old, new)):
            if i == case.cut:
                counts["cuts"] += 1
                counts["old_found"] += o
                counts["new_found"] += n
                missed[case.kind] += not n
            else:
                counts["pairs"] += 1
                counts["old_false"] += o
                counts["new_false"] += n
                false_by_kind[case.kind] += n
    return {
        "cuts": counts["cuts"], "non_cut_pairs": counts["pairs"],
        "old_recall": counts["old_found"] / max(1, counts["cuts"]),
        "new_recall": counts["new_found"] / max(1, counts["cuts"]),
        "old_false_rate": counts["old_false"] / max(1, counts["pairs"]),
        "new_false_rate": counts["new_false"] / max(1, counts["pairs"]),
        "new_missed_by_kind": dict(missed), "new_false_by_kind": dict(false_by_kind),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cuts", type=int, default=300)
    p.add_argument("--events", type=int, default=300)
    p.add_argument("--size", default="320x180")
    p.add_argument("--ratio", type=float, default=DEFAULT_RATIO)
    p.add_argument("--hard", type=float, default=DEFAULT_HARD, help="across difference that is always a cut")
    p.add_argument("--floor", type=float, default=MIN_CUT_DIFFERENCE)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    w, h = map(int, args.size.split("x"))
    torch.set_num_threads(1)
    cases = cut_cases(args.cuts, w, h) + event_cases(args.events, w, h)
    result = {"size": args.size, "ratio": args.ratio, "hard": args.hard, "floor": args.floor,
              **evaluate(cases, args.ratio, args.hard, args.floor)}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['cuts']} hard cuts, {result['non_cut_pairs']} pairs that are not cuts, {args.size}")
    print(f"old SSIM < {OLD_THRESHOLD}:   recall {result['old_recall']:.1%}, false cuts {result['old_false_rate']:.2%}")
    print(f"contrast (ratio {args.ratio}, hard {args.hard}, floor {args.floor}): recall {result['new_recall']:.1%}, "
          f"false cuts {result['new_false_rate']:.2%}")
    print(f"missed by kind: {result['new_missed_by_kind']}; false by kind: {result['new_false_by_kind']}")


if __name__ == "__main__":
    main()
