"""Scene-cut sources: interchangeable objects with one question, "is there a cut after frame i?".

SC(i) must be a pure function of a bounded window of frames around the pair so that random
access equals playback. Sources: an explicit list of scene starts, upstream
``_SceneChangePrev/_SceneChangeNext`` props, and the contrast test on thumbnails (the pair's
change against the motion around it); the first that knows the answer wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Protocol, Sequence

import torch
import torch.nn.functional as F

from ..timing.scenes import cuts_from_scene_starts

__all__ = ["ssim_small", "ssim_batch", "thumbnail", "CutSource", "ListCuts", "PropCuts", "CutScore",
           "ContrastCuts", "pair_difference", "CONTEXT", "CUT_REACH", "RETURN_SPAN", "DEFAULT_RATIO", "DEFAULT_HARD",
           "MIN_CUT_DIFFERENCE",
           "combine", "cut_test"]

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


def _ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM of (N, 3, 32, 32) thumbnails, (N, 3, 32, 32): the window spans C×H×W."""
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
    return ((2 * mu_a * mu_b + c1) * (2 * s_ab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (s_aa + s_bb + c2))


def ssim_batch(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """SSIM of each pair of (N, 3, 32, 32) thumbnails, as in :func:`ssim_small`; shape (N,)."""
    return _ssim_map(a, b).flatten(1).mean(1)


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
    def ratio(self) -> float:
        return self.change / self.around if self.around > 0 else float("inf")

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


#: Default ratio of :class:`ContrastCuts`: how many times the motion around a pair its change
#: must be. On the synthetic cut benchmark (benchmarks/RESULTS.md) 2.0 / 1.6 / 1.4 / 1.25 found
#: 62 / 77 / 79 / 83 % of the hard cuts with 0.08 / 0.11 / 0.14 / 0.14 % false cuts.
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

    ``diff_of(a, b)``: :func:`pair_difference` of frames a < b. A cut needs every difference
    across the pair (frames up to RETURN_SPAN − 1 apart from it on each side) to reach
    ``min(hard, max(floor, ratio × around))``: ``hard`` whatever the motion, else ``floor`` and
    ``ratio`` times the motion around. The pair itself is compared first, so a pair that is no
    cut costs one difference (its neighbours' are shared with the next decisions).
    """

    def __init__(self, diff_of: Callable[[int, int], float], num_frames: int, ratio: float = DEFAULT_RATIO,
                 hard: float = DEFAULT_HARD, floor: float = MIN_CUT_DIFFERENCE) -> None:
        self.diff_of = diff_of
        self.n = num_frames
        self.ratio = ratio
        self.hard = hard
        self.floor = floor

    def score(self, i: int) -> CutScore:
        near = sorted(self.diff_of(j, j + 1) for j in range(max(0, i - CONTEXT), min(self.n - 1, i + CONTEXT + 1))
                      if j != i)
        around = near[-2] if len(near) > 1 else (near[0] if near else 0.0)
        needed = min(self.hard, max(self.floor, self.ratio * around))
        change = self.diff_of(i, i + 1)
        left = range(i, max(-1, i - RETURN_SPAN), -1)
        right = range(i + 1, min(self.n, i + 1 + RETURN_SPAN))
        cut = change >= needed and all(self.diff_of(a, b) >= needed for a in left for b in right)
        return CutScore(change, around, needed, cut)

    def is_cut(self, i: int) -> bool:
        return self.score(i).cut


def cut_test(scenes: Sequence[int] | None, props_of: Callable[[int], dict],
             detector: CutSource | None) -> Callable[[int], bool]:
    """SC(i) as the filter decides it: explicit ``scenes`` alone when given, else upstream props
    first, then ``detector`` (the contrast test; None when detection is off)."""
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
