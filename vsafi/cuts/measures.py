"""How much a pair of frames changed, two ways, on small thumbnails of the source frames.

Structure: 1 − SSIM of 32×32 thumbnails (a change of palette or layout, even under fast motion).
New content: the share of 4×4 blocks of a 64×36 thumbnail found nowhere within ±8 px in the
other frame (characters replaced on an unchanged background). docs/cuts.md §4–5.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

__all__ = ["ssim_small", "ssim_batch", "thumbnail", "wide_thumbnail", "CutThumbs", "cut_thumbs", "Change",
           "pair_change", "change_reader", "new_content", "pair_difference", "FLAT_STD", "WIDE_SIZE", "SEARCH",
           "MATCH_BLOCK", "NEW_BLOCK_ERROR"]

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


def change_reader(thumb_of: Callable[[int], CutThumbs],
                  remember: Callable[[int, Callable[[], Change]], Change]) -> Callable[[int, int], Change]:
    """``change(a, b)`` of frames a < b for a cut detector. Neighbours' changes are read by
    several decisions, so ``remember(a, make)`` keeps the change of (a, a + 1); pairs further
    apart (comparisons across a possible cut) are made each time."""

    def change(a: int, b: int) -> Change:
        if b != a + 1:
            return pair_change(thumb_of(a), thumb_of(b))
        return remember(a, lambda: pair_change(thumb_of(a), thumb_of(b)))

    return change
