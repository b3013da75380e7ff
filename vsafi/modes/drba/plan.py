"""DRBA addressing: which triplet, side and local distance an output frame uses.

Each output belongs to its nearest source frame F[k] (k = floor(tau + 1/2)) and moves from it
towards one neighbour by s = |tau − k| ≤ 1/2; the engine turns s into a per-pixel timestep with
the distance-ratio map of F[k]. A cut on one side holds that half on F[k] and leaves the other
half to plain VFI, since the map needs both neighbours of the same scene.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ...timing.plan import Interp, Node
from ...timing.scenes import CutTest
from ...timing.timemap import clamped_source_time

__all__ = ["DrbaStep", "drba_window", "drba_plan", "drba_center"]

HALF = Fraction(1, 2)


@dataclass(frozen=True)
class DrbaStep:
    """DRBA output: centre F[center], moved towards F[neighbour] by local distance s in (0, 1/2].

    The engine turns s into a per-pixel timestep with the distance-ratio map of ``center``.
    """

    center: int
    neighbour: int
    s: Fraction

    @property
    def copies(self) -> None:
        """A DRBA step always moves pixels."""
        return None

    @property
    def sources(self) -> set[int]:
        """The whole triplet: the distance-ratio map needs the flows to both neighbours."""
        return {self.center - 1, self.center, self.center + 1}

    def __str__(self) -> str:
        return f"DRBA(F[{self.center}] -> F[{self.neighbour}], s={self.s})"


def drba_center(j: int, ratio: Fraction, n: int, phase: str = "standard") -> tuple[int, Fraction]:
    """(k, u): nearest source frame k = floor(tau + 1/2), offset u = tau − k in [−1/2, 1/2)."""
    tau = clamped_source_time(j, ratio, n, phase)
    k = math.floor(tau + HALF)
    return k, tau - k


def drba_window(j: int, ratio: Fraction, n: int, phase: str = "standard") -> range:
    """Source frames output j needs: the triplet F[k−1], F[k], F[k+1] clamped to the clip."""
    k, _ = drba_center(j, ratio, n, phase)
    return range(max(0, k - 1), min(n - 1, k + 1) + 1)


def drba_plan(
    j: int, ratio: Fraction, n: int, is_cut: CutTest, phase: str = "standard"
) -> Interp | DrbaStep:
    """Plan of output j in DRBA mode.

    u = 0 holds F[k]. Side 0 (u < 0) moves towards F[k−1], side 2 (u > 0) towards F[k+1]. The
    first/last frame counts as cut on its outer side. A cut on the side in use holds F[k]; a cut
    only on the other side gives plain VFI between F[k] and the neighbour (earlier frame first);
    no cut gives DrbaStep(k, neighbour, s). ``is_cut`` is asked about (k−1, k) and (k, k+1) only.
    """
    k, u = drba_center(j, ratio, n, phase)
    if u == 0:
        return Interp.hold(Node(0, k))
    if u < 0:
        if k == 0 or is_cut(k - 1):
            return Interp.hold(Node(0, k))
        if k == n - 1 or is_cut(k):
            return Interp(Node(0, k - 1), Node(0, k), 1 + u)
        return DrbaStep(k, k - 1, -u)
    if k == n - 1 or is_cut(k):
        return Interp.hold(Node(0, k))
    if k == 0 or is_cut(k - 1):
        return Interp(Node(0, k), Node(0, k + 1), u)
    return DrbaStep(k, k + 1, u)
