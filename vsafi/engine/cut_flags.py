"""SC(i) as the filter decides it, each pair's verdict, thumbnails and changes cached by index.

Thumbnails are made from the source frame itself (not the model canvas), so cuts never depend
on the model; the same conversion also gives the frame's canvas, so each source frame is
converted once. Sources and their order: docs/cuts.md.
"""

from __future__ import annotations

from typing import Sequence

from ..cuts import CUT_REACH, Change, CutDetector, CutThumbs, change_reader, cut_test, cut_thumbs
from ..timing.scenes import CutTest
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

        def thumb(i: int) -> CutThumbs:
            def make() -> CutThumbs:
                rgb = job.frames.rgb(i, job.backend.device)
                job.offer_source(i, rgb)
                return cut_thumbs(rgb)

            return job.cache.get(("thumb", i), make)

        def remember(a: int, make) -> Change:
            return job.cache.get(("diff", a), make)

        detector = CutDetector(change_reader(thumb, remember), self.num_frames, self.ratio) if self.detects else None
        decide = cut_test(self.scenes, job.frames.props, detector)
        return lambda i: job.cache.get(("cut", i), lambda: decide(i))
