"""RIFE IFNet v4.6, the flow estimator and frame synthesiser held by ``rife.pkl``.

Four coarse-to-fine blocks each refine a pair of backward flows (to frame 0 and to frame 1)
and a blend-mask logit; the frame is the mask-weighted blend of both warped inputs.
Attribute names mirror the published state dict so that ``strict=True`` loading pins the
architecture down. There is no input clamp: the caller clamps.
"""

from __future__ import annotations

import os
from typing import Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..ops.warp import backward_warp

__all__ = ["IFNet", "load_ifnet", "canvas_unit", "block_scales", "SCALES"]

#: Downscale factor of each block at the user option ``scale=1.0``; ``scale`` divides them.
SCALES: tuple[float, ...] = (8, 4, 2, 1)

Timestep = Union[float, Tensor]


def block_scales(scale: float = 1.0) -> tuple[float, ...]:
    """Block downscale factors for the user ``scale``: (8, 4, 2, 1) / ``scale``."""
    return tuple(s / scale for s in SCALES)


def _unit(scales: Sequence[float]) -> int:
    """Canvas multiple for block factors ``scales``: each block halves its input twice."""
    return max(32, int(4 * max(scales)))


def canvas_unit(scale: float = 1.0) -> int:
    """Pixels the canvas height and width must be a multiple of at the user ``scale``:
    max(32, int(32 / scale))."""
    return _unit(block_scales(scale))


def _resize(x: Tensor, factor: float) -> Tensor:
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="bilinear")


def _down(cin: int, cout: int) -> nn.Sequential:
    """Stride-2 3×3 convolution + LeakyReLU (weights at ``<index>.0``)."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1), nn.LeakyReLU(0.2))


class ResConv(nn.Module):
    """3×3 convolution scaled per channel by ``beta``, plus the input, then LeakyReLU."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)
        self.beta = nn.Parameter(torch.ones(1, c, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(self.conv(x) * self.beta + x, 0.2)


class IFBlock(nn.Module):
    """One refinement level: works at 1/``scale`` of the canvas and returns full-size
    flow (N, 4, H, W) in canvas pixels and a mask logit (N, 1, H, W)."""

    def __init__(self, cin: int, c: int) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_down(cin, c // 2), _down(c // 2, c))
        self.convblock = nn.Sequential(*(ResConv(c) for _ in range(8)))
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(c, 24, 4, 2, 1), nn.PixelShuffle(2))

    def forward(self, x: Tensor, scale: float) -> tuple[Tensor, Tensor]:
        y = self.lastconv(self.convblock(self.conv0(_resize(x, 1.0 / scale))))
        y = _resize(y, scale)
        return y[:, :4] * scale, y[:, 4:5]


def _timestep_plane(timestep: Timestep, like: Tensor) -> Tensor:
    """(N, 1, H, W) plane from a float, a 0-d / (1,) / (N,) tensor or a per-pixel map."""
    n, _, h, w = like.shape
    t = torch.as_tensor(timestep, dtype=like.dtype, device=like.device)
    if t.dim() == 4:
        if t.shape[0] not in (1, n) or t.shape[1] != 1 or t.shape[2:] != like.shape[2:]:
            raise ValueError(f"IFNet: timestep map {tuple(t.shape)} does not fit images {tuple(like.shape)}")
        return t.expand(n, 1, h, w)
    if t.dim() > 1 or t.numel() not in (1, n):
        raise ValueError(f"IFNet: timestep of shape {tuple(t.shape)} for a batch of {n}")
    return t.reshape(-1, 1, 1, 1).expand(n, 1, h, w)


class IFNet(nn.Module):
    """RIFE v4.6 without ensemble. Load weights with :func:`load_ifnet`."""

    def __init__(self) -> None:
        super().__init__()
        self.block0 = IFBlock(7, 192)
        self.block1 = IFBlock(12, 128)
        self.block2 = IFBlock(12, 96)
        self.block3 = IFBlock(12, 64)

    def forward(
        self,
        img0: Tensor,
        img1: Tensor,
        timestep: Timestep,
        scales: Sequence[float] = SCALES,
        return_flow: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor, Tensor]:
        """Frame at ``timestep`` between ``img0`` (t=0) and ``img1`` (t=1).

        Images are (N, 3, H, W) RGB in [0, 1] on a canvas that is a multiple of
        :func:`canvas_unit`; ``timestep`` is a float, a 0-d, (1,) or (N,) tensor, or an
        (N, 1, H, W) map on the output grid. ``scales`` are the block downscale factors,
        :func:`block_scales` of the user ``scale``. With ``return_flow`` also returns the final
        flow (N, 4, H, W: x, y where img0 is sampled, then img1) and the sigmoid blend mask
        (N, 1, H, W, weight of img0).
        """
        self._check(img0, img1, scales)
        t = _timestep_plane(timestep, img0)
        blocks = (self.block0, self.block1, self.block2, self.block3)
        flow, logit = self.block0(torch.cat((img0, img1, t), 1), scales[0])
        for block, scale in zip(blocks[1:], scales[1:]):
            warped0, warped1 = self._warp(img0, img1, flow)
            x = torch.cat((warped0, warped1, t, logit, flow / scale), 1)
            dflow, dlogit = block(x, scale)
            flow, logit = flow + dflow, logit + dlogit
        warped0, warped1 = self._warp(img0, img1, flow)
        mask = torch.sigmoid(logit)
        out = warped0 * mask + warped1 * (1 - mask)
        return (out, flow, mask) if return_flow else out

    @staticmethod
    def _warp(img0: Tensor, img1: Tensor, flow: Tensor) -> tuple[Tensor, Tensor]:
        return backward_warp(img0, flow[:, :2]), backward_warp(img1, flow[:, 2:4])

    @staticmethod
    def _check(img0: Tensor, img1: Tensor, scales: Sequence[float]) -> None:
        if len(scales) != 4:
            raise ValueError(f"IFNet: scales needs one factor per block (4), got {tuple(scales)}")
        if img0.shape != img1.shape or img0.dim() != 4 or img0.shape[1] != 3:
            shapes = f"{tuple(img0.shape)} and {tuple(img1.shape)}"
            raise ValueError(f"IFNet: images must both be (N, 3, H, W), got {shapes}")
        unit = _unit(scales)
        if img0.shape[2] % unit or img0.shape[3] % unit:
            canvas = tuple(img0.shape[2:])
            raise ValueError(f"IFNet: canvas {canvas} is not a multiple of {unit}; pad it first")


def load_ifnet(
    path: str | os.PathLike,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> IFNet:
    """IFNet with the weights of ``path`` (``rife.pkl``), in eval mode, gradients off."""
    model = IFNet()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    model.eval().requires_grad_(False)
    return model.to(device=device, dtype=dtype)
