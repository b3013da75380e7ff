"""Order-independent sums for scatters: float32 contributions added as 64-bit integers.

Float atomics on a GPU add in whatever order the threads arrive, so the same splat differs run
to run in the last bits, and a forward pyramid of splats amplifies that into visible code values
(a seek then shows another picture than playback). Integer addition is associative: each
contribution is rounded to a multiple of 2^-S of its (batch item, channel) plane and summed
exactly, so every order gives the same bits.

S is chosen per plane so that no sum can overflow: a bilinear splat spreads each source with
weights summing to at most 1, so any target's |sum| is at most the plane's sum of |values|, and
S = 61 − e with sum|values| < 2^e keeps every partial sum below 2^61 (< 2^63). The rounding
error of one contribution is at most 2^-(S+1): about 1e-12 of a plane of images (2^21 mass at
1080p), 3e-8 for softmax weights up to e^10 on a half-size 1080p plane.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["HEADROOM_BITS", "plane_scales", "quantize", "dequantize"]

#: Bits of an int64 the scaled plane mass may use (one spare for the sign, one for rounding).
HEADROOM_BITS = 61


def plane_scales(values: Tensor) -> tuple[Tensor, Tensor]:
    """(scale, inverse) float64 (N, C): 2^S and 2^-S for each plane of ``values`` (N, C, H, W).

    A sum over a fixed shape reduces in a fixed order, so S is the same on every run.
    """
    mass = values.float().abs().sum(dim=(2, 3))
    _, exponent = torch.frexp(mass)
    bits = (HEADROOM_BITS - exponent).to(torch.float64)
    return torch.exp2(bits), torch.exp2(-bits)


def quantize(contrib: Tensor, scale: Tensor) -> Tensor:
    """int64 multiples of 1/scale nearest to float32 ``contrib`` (ties up), broadcast ``scale``."""
    return torch.floor(contrib.double() * scale + 0.5).long()


def dequantize(summed: Tensor, inverse: Tensor) -> Tensor:
    """float32 value of int64 sums of multiples of 1/scale."""
    return (summed.double() * inverse).float()
