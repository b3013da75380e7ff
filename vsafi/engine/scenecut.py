"""Scene-cut sources: interchangeable objects with one question, "is there a cut after frame i?".

SC(i) must be a pure function of a bounded window of frames around the pair so that random
access equals playback. Sources: an explicit list of scene starts, upstream
``_SceneChangePrev/_SceneChangeNext`` props, and the contrast test on thumbnails; the first that
knows the answer wins. The contrast test (docs in :class:`CutDetector`) compares two measures of
a pair's change with the same measure around it: how much the picture's structure changed
(1 − SSIM) and how much of it is new, i.e. found nowhere near in the other frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Callable, NamedTuple, Protocol, Sequence

import torch
import torch.nn.functional as F

from ..timing.scenes import cuts_from_scene_starts

__all__ = ["ssim_small", "ssim_batch", "thumbnail", "wide_thumbnail", "CutThumbs", "cut_thumbs", "Change",
           "pair_change", "new_content", "CutSource", "ListCuts", "PropCuts", "CutScore", "ContrastCuts",
           "CutDetector", "pair_difference", "CONTEXT", "CUT_REACH", "RETURN_SPAN", "DEFAULT_RATIO", "DEFAULT_HARD",
           "MIN_CUT_DIFFERENCE", "WIDE_SIZE", "SEARCH", "MATCH_BLOCK", "NEW_BLOCK_ERROR", "NEW_FLOOR", "NEW_HARD",
           "NEW_ACROSS", "combine", "cut_test"]

_SIZE = 32
_WINDOW = 11
_SIGMA = 1.5


@lru_cache(maxsize=8)
def _gauss(device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 11-tap Gaussian (σ 1.5) as three conv3d kernels, one per axis of C×H×W: the 3-D window
    is their product, so three 11-tap passes replace one 1331-tap pass (~40× less work)."""
    x = torch.arange(_WINDOW, dtype=torch.float64) - _WINDOW // 2
    g = torch.exp(-(x**2) / (2 * _SIGMA**2))
    g = (g / g.sum()).float().to(device)
    return g.view(1, 1, -1, 1, 1), g.view(1, 1, 1, -1, 1), g.view(1, 1, 1, 1, -1)


def thumbnail(rgb: torch.Tensor) -> torch.Tensor:
    """A (1, 3, 32, 32) point-sampled copy of a (1, 3, H, W) frame, clamped to [0, 1]."""
    return F.interpolate(rgb.float().clamp(0, 1), size=(_SIZE, _SIZE), mode="bilinear", align_corners=False)


def ssim_small(a: torch.Tensor, b: torch.Tensor) -> float:
    """SSIM of two 32×32 thumbnails with an 11×11×11 Gaussian window over C×H×W (replicate pad)."""
    return float(ssim_batch(a, b)[0])


def ssim_batch(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """SSIM of each pair of (N, 3, 32, 32) thumbnails, as in :func:`ssim_small`; shape (N,).
    The window spans C×H×W."""
    kernels = _gauss(a.device)
    pad = _WINDOW // 2

    def blur(x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x.unsqueeze(1), (pad,) * 6, mode="replicate")
        for k in kernels:
            x = F.conv3d(x, k)
        return x[:, 0]

    a = a.float()
    b = b.float()
    mu_a, mu_b = blur(a), blur(b)
    s_aa = blur(a * a) - mu_a**2
    s_bb = blur(b * b) - mu_b**2
    s_ab = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mu_a * mu_b + c1) * (2 * s_ab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (s_aa + s_bb + c2))
    return ssim.flatten(1).mean(1)


#: A thumbnail whose every channel varies less than this (std, of 1.0) is a flat colour
#: (black or white card): SSIM has no structure to compare there and calls every change total.
FLAT_STD = 0.02


def pair_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    """How different two (1, 3, 32, 32) thumbnails are, 0 (same) to ~1, for cut decisions.

    1 − SSIM; where either picture is a flat colour, the mean absolute difference instead (a
    fade's last step to black is small, a hard cut to black is not). The whole picture counts:
    ranking tiles to find changes confined to a part of it (other characters, same background)
    also split still shots where one drawing changes pose (benchmarks/RESULTS.md)."""
    if min(float(a.std(dim=(2, 3)).max()), float(b.std(dim=(2, 3)).max())) < FLAT_STD:
        return float((a.float() - b.float()).abs().mean())
    return max(0.0, 1.0 - float(ssim_batch(a, b)[0]))


#: Size (rows, columns) of the thumbnails new content is measured on: area-averaged, so a
#: pixel is the mean of ~30×30 pixels of a 1080p frame and grain or compression noise vanish.
WIDE_SIZE = (36, 64)
#: How far a block may move between two frames and still be found, in thumbnail pixels: 8 of
#: 64 is 12.5 % of the width per frame, more than the benchmark's fastest pans (10 %).
SEARCH = 8
#: Side of the matched blocks in thumbnail pixels: a picture has 9 × 16 = 144 of them.
MATCH_BLOCK = 4
#: Mean absolute RGB difference (of 1.0) over a block above which its best match is no match.
#: Fade steps stay under it; at 0.08 the benchmark counted 21 fade steps as new content, at
#: 0.16 a palette change of muted backgrounds often went unseen (recall 84 % against 100 %).
NEW_BLOCK_ERROR = 0.12


def wide_thumbnail(rgb: torch.Tensor) -> torch.Tensor:
    """A (1, 3, 36, 64) area-averaged copy of a (1, 3, H, W) frame, clamped to [0, 1]."""
    return F.interpolate(rgb.float().clamp(0, 1), size=WIDE_SIZE, mode="bilinear", align_corners=False,
                         antialias=True)


def _unmatched(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Share of b's blocks with no match in a within ±SEARCH pixels (any whole-pixel shift).

    One row of 17 shifts at a time, into buffers made once per call: fresh ~0.5 MB tensors per
    row cost 4× the arithmetic in page faults where the filter holds glibc's mmap threshold."""
    _, c, h, w = b.shape
    span = 2 * SEARCH + 1
    padded = F.pad(a.float(), (SEARCH,) * 4, mode="replicate")
    target = b.float().unsqueeze(3)
    diff = torch.empty((1, c, h, span, w), device=b.device)
    err = torch.empty((1, h, span, w), device=b.device)
    best = None
    for dy in range(span):
        torch.sub(padded[:, :, dy:dy + h].unfold(3, w, 1), target, out=diff)
        torch.sum(diff.abs_(), 1, out=err)
        blocks = err.view(h // MATCH_BLOCK, MATCH_BLOCK, span, w // MATCH_BLOCK, MATCH_BLOCK).sum((1, 4))
        row_best = blocks.amin(1)
        best = row_best if best is None else torch.minimum(best, row_best)
    return (best > NEW_BLOCK_ERROR * c * MATCH_BLOCK**2).float().mean()


def new_content(a: torch.Tensor, b: torch.Tensor) -> float:
    """How much of two (1, 3, 36, 64) thumbnails is new, 0 to 1: the share of blocks of each
    found nowhere within ±SEARCH pixels in the other, averaged over both directions.

    Pans, shakes and moving characters are found again, so they score ~0 however much of the
    picture moves; a cut to other characters on the same background scores the characters'
    share, which 1 − SSIM of the whole picture barely sees."""
    return float(_unmatched(a, b) + _unmatched(b, a)) / 2


class CutThumbs(NamedTuple):
    """What the cut test keeps of a frame: a 32×32 for structure, a 36×64 for new content."""

    square: torch.Tensor
    wide: torch.Tensor


def cut_thumbs(rgb: torch.Tensor) -> CutThumbs:
    return CutThumbs(thumbnail(rgb), wide_thumbnail(rgb))


class Change:
    """The two measures of how much a pair of frames differs (see :class:`CutDetector`), each
    computed when first read: a comparison across a possible cut needs only its own measure."""

    def __init__(self, a: CutThumbs, b: CutThumbs) -> None:
        self._a, self._b = a, b

    @cached_property
    def structure(self) -> float:
        return pair_difference(self._a.square, self._b.square)

    @cached_property
    def new(self) -> float:
        return new_content(self._a.wide, self._b.wide)


def pair_change(a: CutThumbs, b: CutThumbs) -> Change:
    return Change(a, b)


class CutSource(Protocol):
    def is_cut(self, i: int) -> bool | None:
        """True/False if this source decides SC(i), None if it has no opinion."""


class ListCuts:
    """Explicit scene starts (``scenes=``): decides every pair."""

    def __init__(self, starts: Sequence[int]) -> None:
        self.cuts = cuts_from_scene_starts(starts)

    def is_cut(self, i: int) -> bool:
        return i in self.cuts


class PropCuts:
    """Upstream props: ``_SceneChangeNext`` on F[i] or ``_SceneChangePrev`` on F[i+1] mark SC(i)."""

    def __init__(self, props_of: Callable[[int], dict]) -> None:
        self.props_of = props_of

    def is_cut(self, i: int) -> bool | None:
        if self.props_of(i).get("_SceneChangeNext", 0) or self.props_of(i + 1).get("_SceneChangePrev", 0):
            return True
        return None


@dataclass(frozen=True)
class CutScore:
    """Why pair (i, i+1) is or is not a cut.

    ``change``: the pair's difference (:func:`pair_difference`). ``around``: how much the
    picture moves near the pair, the second largest difference of the :data:`CONTEXT` pairs on
    each side (held drawings leave most of them 0; the largest may be another cut). ``needed``:
    what a cut must exceed here. ``cut``: the verdict; a change over ``needed`` is still no cut
    when some frame up to :data:`RETURN_SPAN` − 1 before the pair and one up to
    :data:`RETURN_SPAN` − 1 after it differ less (``returned``: a flash, a smear frame).
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
    RETURN_SPAN − 1 apart from it on each side) to reach ``across × needed``. The pair itself is
    compared first, so a pair that is no cut costs one difference (its neighbours' are shared
    with the next decisions).
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


def cut_test(scenes: Sequence[int] | None, props_of: Callable[[int], dict],
             detector: CutSource | None) -> Callable[[int], bool]:
    """SC(i) as the filter decides it: explicit ``scenes`` alone when given, else upstream props
    first, then ``detector`` (:class:`CutDetector`; None when detection is off)."""
    if scenes is not None:
        return combine([ListCuts(scenes)])
    return combine([PropCuts(props_of)] + ([detector] if detector is not None else []))


def combine(sources: Sequence[CutSource]) -> Callable[[int], bool]:
    """SC(i) from the first source with an opinion; no opinion anywhere means no cut."""

    def is_cut(i: int) -> bool:
        for src in sources:
            answer = src.is_cut(i)
            if answer is not None:
                return bool(answer)
        return False

    return is_cut
