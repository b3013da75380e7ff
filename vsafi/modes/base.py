"""What every mode answers for output j: the source frames it needs, its plan and its picture.

A mode's plan arithmetic (``plan.py`` beside it) decides *what* an output shows, as plain data;
the mode binds that to the engine through :class:`Job`: it widens the window so scene-change
props can be set, measures what its plans need, and renders plans the engine's plain
interpolation cannot (DRBA's per-pixel time). It also tells the graph what it keeps in the cache.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import torch

from ..engine.keys import ENGINE_KEYS, CacheKey, FrameKey, PairState, PyramidNode
from ..engine.render import Job
from ..timing.scenes import CutTest
from ..timing.timemap import clamped_source_time, floor_frac
from .gray import analysis_image

__all__ = ["Mode", "AnalysisImage", "analysis"]


class AnalysisImage(FrameKey):
    """The small gray image of source frame ``index`` that modes measuring between frames compare."""

    kind = "ana"


def analysis(job: Job, i: int) -> np.ndarray:
    """Small gray image of source frame i (:func:`analysis_image`): what the modes that measure
    between frames (cadence, duplicates) compare."""
    return job.remember(AnalysisImage(i), lambda: analysis_image(job.gray(i)))


class Mode:
    """Common timing of all modes: the source frame shown by output j and the request window.

    ``ratio`` is output fps / source fps, ``n`` the source length, ``phase`` as in
    :func:`vsafi.timing.source_time`.
    """

    #: The registry's name of this mode, set by :func:`vsafi.modes.make_mode`.
    name = ""
    #: The kinds of value the mode itself keeps in the cache, each at most ``per_source`` per
    #: source frame.
    cache_keys: tuple[type[CacheKey], ...] = ()
    #: Pyramid levels above the source frames the mode's plans read (forward's N).
    levels = 0
    #: Source frames whose outputs the graph probes for the widest request window; a mode whose
    #: windows grow where it has not measured yet probes as far as that reaches.
    span_probe = 8

    def __init__(self, ratio: Fraction, n: int, phase: str) -> None:
        self.ratio = ratio
        self.n = n
        self.phase = phase

    def shown_frame(self, j: int) -> int:
        """floor of output j's (clamped) source time: the frame whose props and scene it carries."""
        return floor_frac(clamped_source_time(j, self.ratio, self.n, self.phase))[0]

    def core_window(self, j: int) -> range:
        """Source frames output j's plan reads."""
        raise NotImplementedError

    def window(self, j: int) -> range:
        """Source frames output j requests: the plan's window plus its neighbours' shown frames."""
        w = self.core_window(j)
        lo = min(w.start, self.shown_frame(max(j - 1, 0)))
        hi = max(w.stop - 1, min(self.shown_frame(j) + 1, self.n - 1))
        return range(lo, hi + 1)

    def scene_marks(self, j: int, n_out: int, is_cut: CutTest) -> tuple[bool, bool]:
        """(prev, next): a cut lies between the frames shown by outputs j − 1 and j, or j and
        j + 1 (the ``_SceneChangePrev/Next`` props)."""
        k = self.shown_frame(j)
        prev = j > 0 and any(is_cut(i) for i in range(self.shown_frame(j - 1), k))
        nxt = j + 1 < n_out and any(is_cut(i) for i in range(k, self.shown_frame(j + 1)))
        return prev, nxt

    def entries_per_source(self) -> int:
        """Values one source frame can hold in the cache for this mode: the engine's kinds, a pair
        state per level from the sources up, a pyramid node per level above them, and the mode's
        own :attr:`cache_keys`."""
        return (sum(k.per_source for k in ENGINE_KEYS) + (self.levels + 1) * PairState.per_source
                + self.levels * PyramidNode.per_source + sum(k.per_source for k in self.cache_keys))

    def request(self, j: int, reach: int) -> range:
        """Source frames output j fetches: its :meth:`window` and ``reach`` more on each side
        (what the cut decisions inside the window read)."""
        w = self.window(j)
        return range(max(0, w.start - reach), min(self.n, w.stop + reach))

    def widest_request(self, n_out: int, reach: int) -> int:
        """Source frames in the widest :meth:`request` of the outputs over the first
        :attr:`span_probe` source frames, taken before the mode has measured anything, when its
        windows are the widest there are: what sizes the caches."""
        return max(len(self.request(j, reach)) for j in range(min(n_out, math.ceil(self.span_probe * self.ratio))))

    def plan(self, j: int, is_cut: CutTest, job: Job) -> Any:
        """Output j's plan (plain data: ``sources``, ``copies``, ``str``)."""
        raise NotImplementedError

    def render(self, plan: Any, job: Job) -> torch.Tensor:
        """The plan's picture, float32 (1, 3, H, W) RGB cropped to the clip."""
        return job.interp(plan)

    def frame_props(self, j: int, is_cut: CutTest, job: Job) -> dict[str, Any]:
        """Mode-specific output frame props."""
        return {}
