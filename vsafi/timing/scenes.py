"""Scene-cut bookkeeping: SC(i) is a cut between F[i] and F[i+1].

Cut flags come from a callable so the engine can compute them lazily (cached per pair) and only
for the pairs inside an output frame's request window: random access then equals playback.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable

__all__ = ["CutTest", "scene_bounds", "cuts_from_scene_starts", "cut_test_from_set"]

CutTest = Callable[[int], bool]
"""is_cut(i) -> True when there is a scene cut between F[i] and F[i+1]."""


def scene_bounds(k: int, is_cut: CutTest, lo: int, hi: int) -> tuple[int, int]:
    """(S, E): first and last frame of the scene holding F[k], searched only within [lo, hi].

    ``is_cut(i)`` is called only for lo ≤ i < hi, walking outwards from k and stopping at the
    first cut on each side, so a bound equal to lo or hi may just be the edge of the search.
    """
    if not lo <= k <= hi:
        raise ValueError(f"scene_bounds: frame {k} outside the search range [{lo}, {hi}]")
    start = k
    while start > lo and not is_cut(start - 1):
        start -= 1
    end = k
    while end < hi and not is_cut(end):
        end += 1
    return start, end


def cuts_from_scene_starts(starts: Iterable[int]) -> frozenset[int]:
    """Cut set {i : SC(i)} from an explicit ``scenes=`` list of first frames of new scenes.

    A scene starting at s means SC(s − 1); a start at 0 is the clip's own start and adds nothing.
    """
    cuts = set()
    for value in starts:
        if isinstance(value, bool):
            raise TypeError(f"scene starts must be frame numbers, not {value!r}")
        s = operator.index(value)
        if s < 0:
            raise ValueError(f"scene start {s} is negative")
        if s > 0:
            cuts.add(s - 1)
    return frozenset(cuts)


def cut_test_from_set(cuts: Iterable[int]) -> CutTest:
    """is_cut for a known cut set (explicit ``scenes=`` or tests)."""
    frozen = frozenset(cuts)
    return frozen.__contains__
