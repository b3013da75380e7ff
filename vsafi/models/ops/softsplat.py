"""Forward (splatting) warps in pure torch: softmax splatting and average splatting.

Own implementation of the operation described by Niklaus & Liu, "Softmax Splatting for Video
Frame Interpolation" (CVPR 2020). Every source pixel (x, y) is pushed to (x + u, y + v) and
distributed bilinearly over the four integer pixels around that point. Neighbours outside the
image are dropped and sources whose target is not finite are skipped. The weighted sums are
normalised by the splatted weight + 1e-7, so pixels nothing lands on come out as 0.

Everything runs in float32 whatever the input dtype (fp16 splatting makes lines wobble); the
result is cast back to the input's dtype. On the CPU the sums are float32 ``index_add_`` in
index order. On CUDA, where atomic float adds come in any order, they are exact 64-bit
fixed-point sums (:mod:`.fixed_point`), so a splat gives the same bits on every run and seeking
equals playback there too; the scatter runs in the own Triton kernel of
:mod:`vsafi.models.ops.splat_triton` when Triton imports, ``VSAFI_SPLAT=torch`` forces torch.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, Literal

import torch
from torch import Tensor

from .fixed_point import dequantize, plane_scales, quantize

__all__ = ["splat", "splat_with_weight", "splat_weight", "splat_sum", "splat_sum_float", "splat_sum_fixed"]

SplatMode = Literal["soft", "avg"]

_EPS = 1e-7


def _triton_scatter() -> Callable[..., Tensor] | None:
    """The Triton scatter, or None when ``VSAFI_SPLAT=torch`` or Triton does not import."""
    if os.environ.get("VSAFI_SPLAT", "").strip().lower() == "torch":
        return None
    try:
        from .splat_triton import splat_sum_triton
    except ImportError:
        return None
    return splat_sum_triton


def _check(values: Tensor, flow: Tensor) -> None:
    if values.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError("splat: expected values (N, C, H, W) and flow (N, 2, H, W)")
    if flow.shape[0] != values.shape[0] or flow.shape[2:] != values.shape[2:]:
        raise ValueError(f"splat: flow {tuple(flow.shape)} does not match values {tuple(values.shape)}")


def _contributions(values: Tensor, flow: Tensor) -> Iterator[tuple[Tensor, Tensor]]:
    """(target row, float32 contribution rows (N·H·W, C)) for each of the four bilinear corners.

    Rows of dropped targets (outside the frame, non-finite flow) carry 0 and point at row 0.
    """
    n, c, h, w = values.shape
    device = values.device
    values = values.float()
    flow = flow.float()

    xs = torch.arange(w, dtype=torch.float32, device=device).view(1, 1, w)
    ys = torch.arange(h, dtype=torch.float32, device=device).view(1, h, 1)
    tx = (xs + flow[:, 0]).reshape(-1)
    ty = (ys + flow[:, 1]).reshape(-1)
    finite = torch.isfinite(tx) & torch.isfinite(ty)
    tx = torch.where(finite, tx, torch.zeros_like(tx))
    ty = torch.where(finite, ty, torch.zeros_like(ty))
    x0 = torch.floor(tx)
    y0 = torch.floor(ty)
    fx = tx - x0
    fy = ty - y0
    # Clamping keeps the integer conversion defined for huge targets; those are dropped below.
    x0 = x0.clamp(-2, w + 1).long()
    y0 = y0.clamp(-2, h + 1).long()

    batch_base = torch.arange(n, device=device).repeat_interleave(h * w) * (h * w)
    rows = values.permute(0, 2, 3, 1).reshape(n * h * w, c)
    corners = (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    )
    for dx, dy, weight in corners:
        cx = x0 + dx
        cy = y0 + dy
        keep = finite & (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        index = torch.where(keep, batch_base + cy * w + cx, torch.zeros_like(cx))
        yield index, torch.where(keep.unsqueeze(1), rows * weight.unsqueeze(1), torch.zeros((), device=device))


def splat_sum_float(values: Tensor, flow: Tensor) -> Tensor:
    """The scatter in torch, summed in float32 (in index order on the CPU, in any order on CUDA)."""
    _check(values, flow)
    n, c, h, w = values.shape
    out = torch.zeros(n * h * w, c, dtype=torch.float32, device=values.device)
    for index, contrib in _contributions(values, flow):
        out.index_add_(0, index, contrib)
    return out.view(n, h, w, c).permute(0, 3, 1, 2)


def splat_sum_fixed(values: Tensor, flow: Tensor) -> Tensor:
    """The scatter in torch, summed exactly in 64-bit fixed point (:mod:`.fixed_point`): the same
    bits in any order of the additions, so on CUDA too."""
    _check(values, flow)
    n, c, h, w = values.shape
    scale, inverse = plane_scales(values)
    row_scale = scale.repeat_interleave(h * w, dim=0)
    out = torch.zeros(n * h * w, c, dtype=torch.int64, device=values.device)
    for index, contrib in _contributions(values, flow):
        out.index_add_(0, index, quantize(contrib, row_scale))
    return dequantize(out.view(n, h, w, c).permute(0, 3, 1, 2), inverse.view(n, c, 1, 1))


def splat_sum(values: Tensor, flow: Tensor) -> Tensor:
    """Un-normalised bilinear forward scatter of ``values`` (N, C, H, W) by ``flow`` (N, 2, H, W).

    Flow channel 0 is the x displacement, channel 1 the y displacement, in pixels. Computes and
    returns float32. On the CPU the torch float sum (already in a fixed order); on CUDA the
    fixed-point sum, in the Triton kernel when Triton imports, so that the result never depends
    on the order in which threads add.
    """
    _check(values, flow)
    if not (values.is_cuda and flow.is_cuda):
        return splat_sum_float(values, flow)
    scatter = _triton_scatter()
    return scatter(values, flow, fixed=True) if scatter is not None else splat_sum_fixed(values, flow)


def _check_mode(mode: str, metric: Tensor | None) -> None:
    if mode not in ("soft", "avg"):
        raise ValueError(f"splat: mode must be 'soft' or 'avg', not {mode!r}")
    if mode == "soft" and metric is None:
        raise ValueError("splat: mode 'soft' needs a metric (N, 1, H, W)")


def splat_with_weight(
    inp: Tensor, flow: Tensor, metric: Tensor | None = None, mode: SplatMode = "soft"
) -> tuple[Tensor, Tensor]:
    """Normalised splat of ``inp`` plus the splatted weight (N, 1, H, W, float32) it was divided by.

    The weight is exp(metric) per source pixel for ``'soft'`` and 1 for ``'avg'``; a splatted
    weight near 0 marks a hole (no source landed there).
    """
    _check_mode(mode, metric)
    src = inp.float()
    if mode == "soft":
        weight = torch.exp(metric.float())
        stacked = torch.cat([src * weight, weight.expand(src.shape[0], 1, *src.shape[2:])], 1)
    else:
        stacked = torch.cat([src, torch.ones_like(src[:, :1])], 1)
    summed = splat_sum(stacked, flow)
    norm = summed[:, -1:]
    out = summed[:, :-1] / (norm + _EPS)
    return out.to(inp.dtype), norm


def splat(inp: Tensor, flow: Tensor, metric: Tensor | None = None, mode: SplatMode = "soft") -> Tensor:
    """Forward-warp ``inp`` (N, C, H, W) by ``flow`` (N, 2, H, W, pixels, x then y).

    ``'soft'``: softmax splatting with importance ``metric`` (N, 1, H, W), weight exp(metric).
    ``'avg'``: plain average of everything landing on a pixel. Holes come out as 0. Returns the
    input's dtype; the computation is float32.
    """
    return splat_with_weight(inp, flow, metric, mode)[0]


def splat_weight(flow: Tensor, metric: Tensor | None = None, mode: SplatMode = "avg") -> Tensor:
    """The splatted weight alone (N, 1, H, W, float32): for ``'avg'`` the forward-splatted ones.

    Used to find holes (e.g. DRBA keeps its source map where this is < 0.999).
    """
    _check_mode(mode, metric)
    if mode == "soft":
        weight = torch.exp(metric.float())
    else:
        weight = torch.ones_like(flow[:, :1], dtype=torch.float32)
    return splat_sum(weight, flow)
