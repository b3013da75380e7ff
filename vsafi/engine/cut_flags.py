"""SC(i) as the filter decides it, each pair's change and verdict cached by index.

The decision reads the source frames the output fetched (their thumbnails, :meth:`Job.thumbs`,
and props), so one filter's test is bound to each output's frames; the verdicts it reaches are
shared through the cache. Sources and their order: docs/cuts.md.
"""

from __future__ import annotations

from typing import Sequence

from ..cuts import CUT_REACH, CutDetector, change_reader, cut_test
from ..timing.scenes import CutTest
from .keys import CutVerdict, PairChange
from .render import Job

__all__ = ["CutFlags"]


class CutFlags:
    """The cut test of one filter: ``scenes`` alone when given, else upstream props, then the
    contrast test with ``ratio`` (None: detection off)."""

    def __init__(self, num_frames: int, scenes: Sequence[int] | None, ratio: float | None) -> None:
        self.num_frames = num_frames
        self.scenes = scenes
        self.ratio = ratio

    @property
    def detects(self) -> bool:
        """Whether the contrast test runs (no explicit scenes, detection on)."""
        return self.scenes is None and self.ratio is not None

    @property
    def reach(self) -> int:
        """Source frames a decision reads beyond its pair, on each side."""
        return CUT_REACH if self.detects else 0

    def test(self, job: Job) -> CutTest:
        """is_cut(i) for pairs whose frames ``job`` holds, with ``reach`` frames around them."""
        detector = None
        if self.detects:
            change = change_reader(job.thumbs, lambda a, make: job.remember(PairChange(a), make))
            detector = CutDetector(change, self.num_frames, self.ratio)
        decide = cut_test(self.scenes, job.props, detector)
        return lambda i: job.remember(CutVerdict(i), lambda: decide(i))
