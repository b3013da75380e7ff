"""The lean mode's plans: plain's window, with the weight of every in-between output fixed."""

from __future__ import annotations

from fractions import Fraction

from vsafi.engine.render import Job
from vsafi.modes.base import Mode
from vsafi.modes.plain.plan import plain_window
from vsafi.timing.plan import Interp, Node
from vsafi.timing.scenes import CutTest
from vsafi.timing.timemap import clamped_source_time, floor_frac


class LeanMode(Mode):
    def __init__(self, ratio: Fraction, n: int, phase: str, lean: float | None = None) -> None:
        super().__init__(ratio, n, phase)
        self.lean = Fraction(1, 2) if lean is None else Fraction(lean)

    def core_window(self, j: int) -> range:
        return plain_window(j, self.ratio, self.n, self.phase)

    def plan(self, j: int, is_cut: CutTest, job: Job) -> Interp:
        k, w = floor_frac(clamped_source_time(j, self.ratio, self.n, self.phase))
        if w == 0 or is_cut(k):
            return Interp.hold(Node(0, k))
        return Interp(Node(0, k), Node(0, k + 1), self.lean)
