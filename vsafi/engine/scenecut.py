"""Scene-cut sources: interchangeable objects with one question, "is there a cut after frame i?".

SC(i) must be a pure function of the pair (F[i], F[i+1]) so that random access equals playback.
Sources: an explicit list of scene starts, upstream ``_SceneChangePrev/_SceneChangeNext``
props, and the SSIM pair test; the first that knows the answer wins.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Protocol, Sequence

import torch
import torch.nn.functional as F

from ..timing.scenes import cuts_from_scene_starts

__all__ = ["ssim_small", "thumbnail", "CutSource", "ListCuts", "PropCuts", "SSIMCuts", "combine", "cut_test"]

_SIZE = 32
_WINDOW = 11
_SIGMA = 1.5


@lru_cache(maxsize=8)
def _window3d(device: torch.device) -> torch.Tensor:
    x = torch.arange(_WINDOW, dtype=torch.float64) - _WINDOW // 2
    g = torch.exp(-(x**2) / (2 * _SIGMA**2))
    g = g / g.sum()
    w = g[:, None, None] * g[None, :, None] * g[None, None, :]
    return w.float().to(device)[None, None]


def thumbnail(rgb: torch.Tensor) -> torch.Tensor:
    """A (1, 3, 32, 32) point-sampled copy of a (1, 3, H, W) frame, clamped to [0, 1]."""
    return F.interpolate(rgb.float().clamp(0, 1), size=(_SIZE, _SIZE), mode="bilinear", align_corners=False)


def ssim_small(a: torch.Tensor, b: torch.Tensor) -> float:
    """SSIM of two 32×32 thumbnails with an 11×11×11 Gaussian window over C×H×W (replicate pad)."""
    w = _window3d(a.device)
    pad = _WINDOW // 2

    def blur(x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x.unsqueeze(1), (pad,) * 6, mode="replicate")
        return F.conv3d(x, w)

    a = a.float()
    b = b.float()
    mu_a, mu_b = blur(a), blur(b)
    s_aa = blur(a * a) - mu_a**2
    s_bb = blur(b * b) - mu_b**2
    s_ab = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mu_a * mu_b + c1) * (2 * s_ab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (s_aa + s_bb + c2))
    return float(ssim.mean())


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


class SSIMCuts:
    """The pairwise SSIM test on 32×32 thumbnails; cut when SSIM < threshold."""

    def __init__(self, thumb_of: Callable[[int], torch.Tensor], threshold: float) -> None:
        self.thumb_of = thumb_of
        self.threshold = threshold

    def is_cut(self, i: int) -> bool:
        return ssim_small(self.thumb_of(i), self.thumb_of(i + 1)) < self.threshold


def cut_test(scenes: Sequence[int] | None, threshold: float | None, props_of: Callable[[int], dict],
             thumb_of: Callable[[int], torch.Tensor]) -> Callable[[int], bool]:
    """SC(i) as the filter decides it: explicit ``scenes`` alone when given, else upstream props
    first, then the SSIM test unless ``threshold`` is None."""
    if scenes is not None:
        return combine([ListCuts(scenes)])
    sources: list[CutSource] = [PropCuts(props_of)]
    if threshold is not None:
        sources.append(SSIMCuts(thumb_of, threshold))
    return combine(sources)


def combine(sources: Sequence[CutSource]) -> Callable[[int], bool]:
    """SC(i) from the first source with an opinion; no opinion anywhere means no cut."""

    def is_cut(i: int) -> bool:
        for src in sources:
            answer = src.is_cut(i)
            if answer is not None:
                return bool(answer)
        return False

    return is_cut
