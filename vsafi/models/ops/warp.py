"""Backward warping by a dense flow, shared by every model.

Warps always run in float32: half-precision sampling coordinates are too coarse on large
canvases (near the edges of a 1920-px row, fp16 grid values step by about half a pixel),
which makes line art wobble.
"""

from __future__ import annotations

import threading
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["backward_warp", "PaddingMode"]

PaddingMode = Literal["zeros", "border", "reflection"]

_MAX_GRIDS = 16
_grids: dict[tuple[torch.device, int, int], Tensor] = {}
_grids_lock = threading.Lock()


def _identity_grid(device: torch.device, h: int, w: int) -> Tensor:
    """The identity sampling grid (1, H, W, 2) in [-1, 1], (x, y) last."""
    xs = torch.linspace(-1.0, 1.0, w, dtype=torch.float32, device=device)
    ys = torch.linspace(-1.0, 1.0, h, dtype=torch.float32, device=device)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).unsqueeze(0)


def _base_grid(device: torch.device, h: int, w: int) -> Tensor:
    """:func:`_identity_grid`, kept per canvas.

    Several render threads share it; it is built outside inference mode so autograd code
    may use it too. Inside a compiled graph it is computed in the graph instead (same values):
    the lock would split the graph at every warp.
    """
    if torch.compiler.is_compiling():
        return _identity_grid(device, h, w)
    key = (device, h, w)
    grid = _grids.get(key)
    if grid is not None:
        return grid
    with torch.inference_mode(False):
        grid = _identity_grid(device, h, w)
    with _grids_lock:
        if key not in _grids and len(_grids) >= _MAX_GRIDS:
            del _grids[next(iter(_grids))]
        return _grids.setdefault(key, grid)


def backward_warp(img: Tensor, flow: Tensor, padding_mode: PaddingMode = "border") -> Tensor:
    """Sample ``img`` (N, C, H, W) at each pixel plus ``flow`` (N, 2, H, W; x, y in pixels).

    Bilinear, ``align_corners=True``; samples outside the image follow ``padding_mode``
    (``"border"`` for RIFE, ``"zeros"`` for GMFlow/GMFSS). Computed in float32, returned in
    ``img``'s dtype.
    """
    n, _, h, w = img.shape
    if flow.shape[0] != n or flow.shape[1] != 2 or flow.shape[2:] != img.shape[2:]:
        raise ValueError(f"backward_warp: flow {tuple(flow.shape)} does not fit image {tuple(img.shape)}")
    half_extent = torch.tensor([(w - 1) / 2.0, (h - 1) / 2.0], dtype=torch.float32, device=flow.device)
    grid = _base_grid(flow.device, h, w) + flow.float().permute(0, 2, 3, 1) / half_extent
    out = F.grid_sample(img.float(), grid, mode="bilinear", padding_mode=padding_mode, align_corners=True)
    return out.to(img.dtype)
