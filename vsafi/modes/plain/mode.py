"""The plain mode's engine half: its plan is all it needs."""

from __future__ import annotations

from ...engine.render import Job
from ...timing.plan import Interp
from ...timing.scenes import CutTest
from ..base import Mode
from .plan import plain_plan, plain_window

__all__ = ["PlainMode"]


class PlainMode(Mode):
    """Plain VFI between the two source frames around each output's time."""

    def core_window(self, j: int) -> range:
        return plain_window(j, self.ratio, self.n, self.phase)

    def plan(self, j: int, is_cut: CutTest, job: Job) -> Interp:
        return plain_plan(j, self.ratio, self.n, is_cut, self.phase)
