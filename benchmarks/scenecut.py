"""Scene-cut detection on synthetic shots: recall on hard cuts and false cuts, old test beside new.

Hard cuts between shots of one layout with other palettes, of one background with other
characters, still and panning; non-cuts from fast pans, shakes, flashes, fades, large fast
characters, pose changes, and pans or actions that start mid-shot (``vsafi.synthetic.shots``).
Every pair of every case is decided from thumbnails as the filter makes them, by four tests: the
old pairwise test (SSIM < 0.3), each measure of the contrast test alone (structure, new content),
and the filter's test (``CutDetector``: either measure). Recall counts the cut pairs found; false
cuts count the other pairs marked, over all pairs that are not cuts.

    .venv/bin/python benchmarks/scenecut.py [--cuts 300] [--events 306] [--size 320x180] [--ratio R] [--seed 0]
        [--json]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from functools import lru_cache

import numpy as np
import torch

from vsafi.cuts import DEFAULT_RATIO, Change, CutDetector, cut_thumbs, pair_change, ssim_small
from vsafi.hostmem import hold_mmap_threshold
from vsafi.synthetic.shots import CutCase, cut_cases, event_cases

OLD_THRESHOLD = 0.3
TESTS = ("old", "structure", "new_content", "filter")


def decisions(case: CutCase, ratio: float) -> dict[str, list[bool]]:
    """Every test's verdict on every pair of the case."""
    thumbs = [cut_thumbs(torch.from_numpy(np.ascontiguousarray(f.transpose(2, 0, 1)))[None]) for f in case.frames]

    @lru_cache(maxsize=None)
    def change(a: int, b: int) -> Change:
        return pair_change(thumbs[a], thumbs[b])

    detector = CutDetector(change, len(thumbs), ratio)
    pairs = range(len(thumbs) - 1)
    return {"old": [ssim_small(thumbs[i].square, thumbs[i + 1].square) < OLD_THRESHOLD for i in pairs],
            "structure": [detector.structure.is_cut(i) for i in pairs],
            "new_content": [detector.new.is_cut(i) for i in pairs],
            "filter": [detector.is_cut(i) for i in pairs]}


def evaluate(cases: list[CutCase], ratio: float) -> dict:
    found: Counter[str] = Counter()
    false: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    false_by_kind: Counter[str] = Counter()
    cuts = pairs = 0
    for case in cases:
        verdicts = decisions(case, ratio)
        for i in range(len(case.frames) - 1):
            if i == case.cut:
                cuts += 1
                missed[case.kind] += not verdicts["filter"][i]
            else:
                pairs += 1
                false_by_kind[case.kind] += verdicts["filter"][i]
            for name in TESTS:
                (found if i == case.cut else false)[name] += verdicts[name][i]
    return {
        "cuts": cuts, "non_cut_pairs": pairs,
        "recall": {name: found[name] / max(1, cuts) for name in TESTS},
        "false_rate": {name: false[name] / max(1, pairs) for name in TESTS},
        "false_pairs": {name: false[name] for name in TESTS},
        "filter_missed_by_kind": {k: v for k, v in missed.items() if v},
        "filter_false_by_kind": {k: v for k, v in false_by_kind.items() if v},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cuts", type=int, default=300)
    p.add_argument("--events", type=int, default=306)
    p.add_argument("--size", default="320x180")
    p.add_argument("--ratio", type=float, default=DEFAULT_RATIO, help="scene_ratio of the contrast test")
    p.add_argument("--seed", type=int, default=0, help="cuts from this seed, events from the next")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    hold_mmap_threshold()
    w, h = map(int, args.size.split("x"))
    torch.set_num_threads(1)
    cases = cut_cases(args.cuts, w, h, seed=args.seed) + event_cases(args.events, w, h, seed=args.seed + 1)
    result = {"size": args.size, "ratio": args.ratio, "seed": args.seed, **evaluate(cases, args.ratio)}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['cuts']} hard cuts, {result['non_cut_pairs']} pairs that are not cuts, {args.size}, "
          f"ratio {args.ratio}, seed {args.seed}")
    labels = {"old": f"old: SSIM < {OLD_THRESHOLD}", "structure": "contrast, structure alone",
              "new_content": "contrast, new content alone", "filter": "contrast, either (the filter)"}
    for name in TESTS:
        print(f"{labels[name]:31s} recall {result['recall'][name]:6.1%}   false cuts {result['false_rate'][name]:.2%} "
              f"({result['false_pairs'][name]} pairs)")
    print(f"filter: missed by kind {result['filter_missed_by_kind']}; false by kind {result['filter_false_by_kind']}")


if __name__ == "__main__":
    main()
