"""Plain mode: each output interpolates between the two source frames around its time."""

from __future__ import annotations

from fractions import Fraction

from ...timing.plan import Interp, Node
from ...timing.scenes import CutTest
from ...timing.timemap import clamped_source_time, floor_frac

__all__ = ["plain_window", "plain_plan"]


def plain_window(j: int, ratio: Fraction, n: int, phase: str = "standard") -> range:
    """Source frames output j needs: F[k] and F[k+1] (clamped to the clip), k = floor(tau)."""
    k, _ = floor_frac(clamped_source_time(j, ratio, n, phase))
    return range(k, min(k + 1, n - 1) + 1)


def plain_plan(j: int, ratio: Fraction, n: int, is_cut: CutTest, phase: str = "standard") -> Interp:
    """Plan of output j: F[k] at integer tau or when SC(k), else VFI(F[k], F[k+1], w).

    Holding F[k] across a cut keeps two scenes from ever blending. ``is_cut`` is asked about
    the pair (k, k+1) only.
    """
    k, w = floor_frac(clamped_source_time(j, ratio, n, phase))
    if w == 0 or is_cut(k):
        return Interp.hold(Node(0, k))
    return Interp(Node(0, k), Node(0, k + 1), w)
