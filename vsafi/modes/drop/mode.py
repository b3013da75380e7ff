"""The drop mode's engine half: the pairwise duplicate test, cached per source frame."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...engine.keys import FrameKey
from ...engine.render import Job
from ...timing.plan import Interp
from ...timing.scenes import CutTest
from ..base import AnalysisImage, Mode, analysis
from .plan import drop_plan, drop_window

__all__ = ["DropMode", "Duplicate", "DEFAULT_DROP_THRESHOLD"]

#: Mean absolute luma difference (of 1.0, on the small gray analysis image) below which F[i]
#: counts as a duplicate of F[i−1]. Measured by benchmarks/drop_threshold.py on the quality
#: benchmark's scenes with 1 code value of grain (an encode's): 0.0023 drops every duplicate and
#: keeps 93.5 % of moving pairs; the rest are small actors over a still background whose change
#: is below the grain, the method's known weakness. With 0.5 code value 0.0015 separates all
#: pairs; with 2 no threshold keeps more than 77 % of the moves.
DEFAULT_DROP_THRESHOLD = 0.0023


class Duplicate(FrameKey):
    """Whether source frame ``index`` is a duplicate of the one before."""

    kind = "dup"


class DropMode(Mode):
    """Keyframes only: duplicates (``drop_threshold``) dropped within each scene, the kept frames
    interpolated at their own times."""

    cache_keys = (AnalysisImage, Duplicate)

    def __init__(self, ratio: Fraction, n: int, phase: str, drop_threshold: float | None = None) -> None:
        super().__init__(ratio, n, phase)
        self.threshold = DEFAULT_DROP_THRESHOLD if drop_threshold is None else float(drop_threshold)

    def core_window(self, j: int) -> range:
        return drop_window(j, self.ratio, self.n, self.phase)

    def is_dup(self, i: int, job: Job) -> bool:
        """F[i] is a duplicate of F[i−1]."""
        return job.remember(Duplicate(i),
                            lambda: float(np.abs(analysis(job, i) - analysis(job, i - 1)).mean()) < self.threshold)

    def plan(self, j: int, is_cut: CutTest, job: Job) -> Interp:
        return drop_plan(j, self.ratio, self.n, is_cut, lambda i: self.is_dup(i, job), self.phase)
