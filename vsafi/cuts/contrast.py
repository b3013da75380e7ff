"""The contrast test: a pair is a cut where its change stands out from the motion around it.

A fixed threshold on one pair's difference either misses cuts between shots of one layout or
splits fast pans; comparing with the same measure on the pairs around it does neither
(docs/cuts.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .measures import Change

__all__ = ["CutScore", "ContrastCuts", "CutDetector", "CONTEXT", "CUT_REACH", "RETURN_SPAN", "DEFAULT_RATIO",
           "DEFAULT_HARD", "MIN_CUT_DIFFERENCE", "NEW_FLOOR", "NEW_HARD", "NEW_ACROSS"]


@dataclass(frozen=True)
class CutScore:
    """Why pair (i, i+1) is or is not a cut.

    ``change``: the pair's change in one measure (structure or new content). ``around``: how much the
    picture moves near the pair, the second largest difference of the :data:`CONTEXT` pairs on
    each side (held drawings leave most of them 0; the largest may be another cut). ``needed``:
    what a cut must exceed here. ``cut``: the verdict; a change over ``needed`` is still no cut
    when some frame up to :data:`RETURN_SPAN` − 1 before the pair and one up to
    :data:`RETURN_SPAN` − 1 after it differ less than ``across`` × ``needed`` (``returned``: a
    flash, a smear frame).
    """

    change: float
    around: float
    needed: float
    cut: bool

    @property
    def returned(self) -> bool:
        return self.change >= self.needed and not self.cut


#: Neighbouring pairs on each side whose differences measure the motion around a pair: 6, so a
#: drawing held on threes shows two changes even on one side alone (at a clip's ends).
CONTEXT = 6
#: Frames on each side of a pair compared across it: a change that comes back within 3 frames
#: (a flash, a smear frame) is no cut.
RETURN_SPAN = 4
#: Source frames a decision reads beyond the window of the pairs it decides, on each side: pair i
#: reads frames i − CONTEXT .. i + 1 + CONTEXT.
CUT_REACH = CONTEXT


#: Default ratio of :class:`ContrastCuts` (``scene_ratio``): how many times the motion around a
#: pair its change must be. On the synthetic cut benchmark (benchmarks/RESULTS.md), with both
#: measures, 2.0 / 1.6 / 1.4 / 1.25 found 98.3 / 99.2 / 99.2 / 99.2 % of 120 hard cuts with
#: 0.28 / 0.34 / 0.50 / 0.67 % false cuts; on 300 cuts of another seed 1.6 found 99.3 % and
#: 1.4 99.7 %, and the third seed's 300 are just at the 99 % target with 1.4, so 1.4 it is.
DEFAULT_RATIO = 1.4
#: Default ``hard`` of :class:`ContrastCuts`: a change across a pair this large is a cut whatever
#: the motion around it.
DEFAULT_HARD = 0.9
#: Smallest change (:func:`pair_difference`) that can be a cut next to a still picture: a
#: single pose change of a still shot's only drawing measured up to 0.25 on the benchmark.
MIN_CUT_DIFFERENCE = 0.3


class ContrastCuts:
    """Cut where the change across a pair stands out from the motion around it.

    A fixed SSIM threshold misses cuts between shots of one layout (SSIM 0.375 measured, cut
    threshold 0.3) and splits fast pans; comparing with the neighbourhood separates them
    (benchmarks/scenecut.py). A pure function of the thumbnails of frames i − CONTEXT ..
    i + CONTEXT + 1, so seeking gives the same answer as playback.

    ``diff_of(a, b)``: one measure of the change of frames a < b (:func:`pair_difference` or
    :func:`new_content`). A cut needs the pair's change to reach ``needed`` =
    ``min(hard, max(floor, ratio × around))`` (``hard`` whatever the motion, else ``floor`` and
    ``ratio`` times the motion around), and every difference across the pair (frames up to
    RETURN_SPAN − 1 apart from it on each side) to reach ``across × needed``. Adjacent pairs'
    differences are shared with the next decisions (the caller caches them), so in playback a
    decision adds one adjacent difference; the comparisons across the pair are made only when
    its change reaches ``needed``.
    """

    def __init__(self, diff_of: Callable[[int, int], float], num_frames: int, ratio: float = DEFAULT_RATIO,
                 hard: float = DEFAULT_HARD, floor: float = MIN_CUT_DIFFERENCE, across: float = 1.0) -> None:
        self.diff_of = diff_of
        self.n = num_frames
        self.ratio = ratio
        self.hard = hard
        self.floor = floor
        self.across = across

    def score(self, i: int) -> CutScore:
        near = sorted(self.diff_of(j, j + 1) for j in range(max(0, i - CONTEXT), min(self.n - 1, i + CONTEXT + 1))
                      if j != i)
        around = near[-2] if len(near) > 1 else (near[0] if near else 0.0)
        needed = min(self.hard, max(self.floor, self.ratio * around))
        change = self.diff_of(i, i + 1)
        left = range(i, max(-1, i - RETURN_SPAN), -1)
        right = range(i + 1, min(self.n, i + 1 + RETURN_SPAN))
        cut = change >= needed and all(self.diff_of(a, b) >= self.across * needed for a in left for b in right)
        return CutScore(change, around, needed, cut)

    def is_cut(self, i: int) -> bool:
        return self.score(i).cut


#: Smallest new-content share (:func:`new_content`) that can be a cut next to a still picture:
#: about 3 of the 144 blocks each way. Chosen on the cut benchmark (seed 5, 200 cuts, ratio
#: 2.0): with both measures, floors 0.02 / 0.03 / 0.04 found 99.5 / 96.5 / 93.0 % of the cuts
#: with 0.49 / 0.36 / 0.36 % false cuts (benchmarks/RESULTS.md).
NEW_FLOOR = 0.02
#: A new-content share this large is a cut whatever the motion around it: half the picture.
NEW_HARD = 0.5
#: Share of ``needed`` that new content across a cut (frames further apart) must keep. It is
#: counted in whole blocks, so a pair just over the floor can lose a block or two across a
#: wider gap by chance (a block of a new character finds a match), while a flash that comes
#: back drops to ~0. On the cut benchmark 0.5 instead of 1 found 99.7 % of seed 0's cuts
#: (was 99.0 %) and 99.0 % of seed 11's (98.7 %), with the same false cuts.
NEW_ACROSS = 0.5


class CutDetector:
    """The default cut test: a cut where either measure of the pair's change stands out.

    Structure (1 − SSIM of 32×32 thumbnails) sees a change of palette or layout even when
    motion is fast; new content (:func:`new_content`) sees characters replaced on an unchanged
    background, which move the structure measure less than a pose change does. Each is its
    own :class:`ContrastCuts` with the same ``ratio``, each with its floor and hard limit, and
    both read the same window, so the verdict is still a pure function of frames
    i − CONTEXT .. i + CONTEXT + 1. ``change_of(a, b)``: :func:`pair_change` of frames a < b.
    """

    def __init__(self, change_of: Callable[[int, int], Change], num_frames: int,
                 ratio: float = DEFAULT_RATIO) -> None:
        self.structure = ContrastCuts(lambda a, b: change_of(a, b).structure, num_frames, ratio)
        self.new = ContrastCuts(lambda a, b: change_of(a, b).new, num_frames, ratio, NEW_HARD, NEW_FLOOR, NEW_ACROSS)

    def scores(self, i: int) -> tuple[CutScore, CutScore]:
        """(structure, new content) scores of pair i."""
        return self.structure.score(i), self.new.score(i)

    def is_cut(self, i: int) -> bool:
        return self.structure.is_cut(i) or self.new.is_cut(i)
