"""The forward mode's engine half: N fixed by the user or measured per block, cached."""

from __future__ import annotations

from fractions import Fraction

from ...engine.cache import OnceCache
from ...engine.render import Job
from ...timing.plan import Interp
from ...timing.scenes import CutTest
from ..base import AnalysisImage, Mode, analysis
from .blocks import BLOCK, MAX_AUTO_N, block_passes, measure_range
from .plan import forward_plan, forward_window

__all__ = ["ForwardMode", "CADENCE_BLOCKS"]

#: Blocks whose measured N the forward mode keeps (4096 x 24 frames: 68 min at 23.976 fps, a
#: few MiB of small dicts); older ones are measured again if playback comes back to them.
CADENCE_BLOCKS = 4096


class ForwardMode(Mode):
    """Forward dedup; N fixed by the user (``n_forward``) or measured per block (None).

    Auto N is seek-exact and bounded (:func:`block_passes`). Where two blocks of one scene
    disagree, the boundary acts as a cut for the forward plan only (not for scene-change props),
    so no plan mixes two pyramids. A window is computed without the measurement frames when its
    blocks are cached; the cadence cache keeps :data:`CADENCE_BLOCKS` blocks, far more than the
    frames in flight between ``window`` and ``plan`` of one output can evict (each output touches
    at most two blocks), so such a block is still there at render time.
    """

    cache_keys = (AnalysisImage,)
    #: Outputs over three blocks: a window that straddles an unmeasured block boundary reads both.
    span_probe = 3 * BLOCK

    def __init__(self, ratio: Fraction, n: int, phase: str, n_forward: int | None = None) -> None:
        super().__init__(ratio, n, phase)
        self.fixed = n_forward
        self.reach = MAX_AUTO_N if n_forward is None else n_forward
        self.levels = self.reach
        self.cadence_cache = OnceCache(1 << 60, max_entries=CADENCE_BLOCKS)

    def core_window(self, j: int) -> range:
        return forward_window(j, self.ratio, self.n, self.reach, self.phase)

    def window(self, j: int) -> range:
        w = super().window(j)
        if self.fixed is not None:
            return w
        lo, hi = w.start, w.stop
        for block in {i // BLOCK for i in self.core_window(j)}:
            if block not in self.cadence_cache:
                r = measure_range(block, self.n)
                lo, hi = min(lo, r.start), max(hi, r.stop)
        return range(lo, hi)

    def passes_at(self, k: int, is_cut: CutTest, job: Job) -> int:
        """Forward passes N in effect at source frame k."""
        if self.fixed is not None:
            return self.fixed
        block = k // BLOCK
        passes = self.cadence_cache.get(block, lambda: block_passes(block, self.n, is_cut, lambda i: analysis(job, i)))
        return passes[k]

    def plan(self, j: int, is_cut: CutTest, job: Job) -> Interp:
        if self.fixed is not None:
            return forward_plan(j, self.ratio, self.n, self.fixed, is_cut, self.phase)
        passes = self.passes_at(self.shown_frame(j), is_cut, job)

        def boundary(i: int) -> bool:
            if is_cut(i):
                return True
            if (i + 1) % BLOCK:
                return False
            return self.passes_at(i, is_cut, job) != self.passes_at(i + 1, is_cut, job)

        return forward_plan(j, self.ratio, self.n, passes, boundary, self.phase)

    def frame_props(self, j: int, is_cut: CutTest, job: Job) -> dict:
        return {"vsafi_n_forward": self.passes_at(self.shown_frame(j), is_cut, job)}
