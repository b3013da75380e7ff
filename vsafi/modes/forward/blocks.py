"""Auto N: forward passes per block of 24 source frames, from the cadence measured around it.

A pure function of the frames of the block and a margin around it, so N is the same whichever
output asks first (seek-exact) and bounded in the frames it reads (docs/forward.md §7).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...timing.scenes import CutTest, scene_bounds
from .cadence import measure_cadence

__all__ = ["BLOCK", "MARGIN", "MAX_AUTO_N", "DEFAULT_N_FORWARD", "MIN_MEASURED", "measure_range", "block_passes"]

#: Source frames per block: one second at 23.976 fps.
BLOCK = 24
#: Frames measured beyond each side of a block (half a block), so frames near its edges are
#: measured with context on both sides.
MARGIN = 12
#: Largest measured N: cadence 4 (on fours) less one.
MAX_AUTO_N = 3
#: Fewest frames of a scene whose cadence is measured: three differences show one hold of threes.
MIN_MEASURED = 4
#: Midpoint passes where a scene is too short to measure its cadence (fewer than MIN_MEASURED frames).
DEFAULT_N_FORWARD = 2


def measure_range(block: int, n: int) -> range:
    """Source frames whose cadence decides N for ``block``: the block and MARGIN around it."""
    return range(max(0, block * BLOCK - MARGIN), min(n, (block + 1) * BLOCK + MARGIN))


def block_passes(block: int, n: int, is_cut: CutTest, gray_of: Callable[[int], np.ndarray]) -> dict[int, int]:
    """Forward passes N for every frame of ``block``: measured cadence − 1 (capped at MAX_AUTO_N)
    of the frames of its scene inside ``measure_range``. A pure function of those frames."""
    r = measure_range(block, n)
    start, stop = block * BLOCK, min((block + 1) * BLOCK, n)
    out: dict[int, int] = {}
    for k in range(start, stop):
        if k in out:
            continue
        s, e = scene_bounds(k, is_cut, r.start, r.stop - 1)
        seq = [gray_of(i) for i in range(s, e + 1)]
        passes = DEFAULT_N_FORWARD if len(seq) < MIN_MEASURED else min(measure_cadence(seq) - 1, MAX_AUTO_N)
        out.update(dict.fromkeys(range(max(s, start), min(e + 1, stop)), passes))
    return out
