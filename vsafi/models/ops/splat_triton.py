"""Own Triton kernel for the un-normalised bilinear forward scatter of :mod:`vsafi.models.ops.softsplat`.

Written from the spec in that module: source pixel (x, y) with flow (u, v) is pushed to
(x + u, y + v) and spread with bilinear weights over the four integer pixels around it.
Neighbours outside the image are dropped and sources with a non-finite target are skipped.
The per-contribution arithmetic is the torch path's, operation for operation, in float32 with
FP contraction off. Summed as float32 atomics, results differ from torch only by the order of
the additions; summed in fixed point (``fixed=True``, :mod:`.fixed_point`), they are the torch
fixed-point sum bit for bit, whatever the order.

Runs on CUDA tensors, or on CPU tensors under Triton's interpreter (``TRITON_INTERPRET=1`` set
before ``triton`` is imported).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from .fixed_point import dequantize, plane_scales

__all__ = ["splat_sum_triton"]

_BLOCK = 256
_FLT_MAX = 3.4028234663852886e38


@triton.jit
def _add(ptr, contrib, scale, mask, FIXED: tl.constexpr):
    """Add float32 ``contrib`` at ``ptr``: as is, or as int64 multiples of 1/``scale``."""
    if FIXED:
        q = tl.floor(contrib.to(tl.float64) * scale + 0.5).to(tl.int64)
        tl.atomic_add(ptr, q, mask=mask, sem="relaxed")
    else:
        tl.atomic_add(ptr, contrib, mask=mask, sem="relaxed")


@triton.jit
def _splat_sum_kernel(val_ptr, flow_ptr, out_ptr, scale_ptr, C, H, W, BLOCK: tl.constexpr, FLT_MAX: tl.constexpr,
                      FIXED: tl.constexpr):
    """One program scatters ``BLOCK`` source pixels of batch item ``program_id(1)``, all channels;
    ``FIXED``: ``out_ptr`` holds int64 and ``scale_ptr`` the float64 scale of each plane."""
    b = tl.program_id(1).to(tl.int64)
    hw = H * W
    pix = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    inside = pix < hw
    flow_base = b * 2 * hw
    u = tl.load(flow_ptr + flow_base + pix, mask=inside, other=0.0)
    v = tl.load(flow_ptr + flow_base + hw + pix, mask=inside, other=0.0)
    tx = (pix % W).to(tl.float32) + u
    ty = (pix // W).to(tl.float32) + v
    finite = (tl.abs(tx) <= FLT_MAX) & (tl.abs(ty) <= FLT_MAX)
    src_ok = inside & finite
    tx = tl.where(finite, tx, 0.0)
    ty = tl.where(finite, ty, 0.0)
    x0f = tl.floor(tx)
    y0f = tl.floor(ty)
    fx = tx - x0f
    fy = ty - y0f
    x0 = tl.minimum(tl.maximum(x0f, -2.0), (W + 1).to(tl.float32)).to(tl.int32)
    y0 = tl.minimum(tl.maximum(y0f, -2.0), (H + 1).to(tl.float32)).to(tl.int32)
    x1 = x0 + 1
    y1 = y0 + 1

    w00 = (1 - fx) * (1 - fy)
    w10 = fx * (1 - fy)
    w01 = (1 - fx) * fy
    w11 = fx * fy
    in_x0 = (x0 >= 0) & (x0 < W)
    in_x1 = (x1 >= 0) & (x1 < W)
    in_y0 = (y0 >= 0) & (y0 < H)
    in_y1 = (y1 >= 0) & (y1 < H)
    k00 = src_ok & in_x0 & in_y0
    k10 = src_ok & in_x1 & in_y0
    k01 = src_ok & in_x0 & in_y1
    k11 = src_ok & in_x1 & in_y1
    o00 = tl.where(k00, y0 * W + x0, 0)
    o10 = tl.where(k10, y0 * W + x1, 0)
    o01 = tl.where(k01, y1 * W + x0, 0)
    o11 = tl.where(k11, y1 * W + x1, 0)

    for ch in range(C):
        plane = (b * C + ch) * hw
        if FIXED:
            scale = tl.load(scale_ptr + b * C + ch)
        else:
            scale = 1.0
        val = tl.load(val_ptr + plane + pix, mask=src_ok, other=0.0)
        _add(out_ptr + plane + o00, val * w00, scale, k00, FIXED)
        _add(out_ptr + plane + o10, val * w10, scale, k10, FIXED)
        _add(out_ptr + plane + o01, val * w01, scale, k01, FIXED)
        _add(out_ptr + plane + o11, val * w11, scale, k11, FIXED)


def splat_sum_triton(values: Tensor, flow: Tensor, fixed: bool = False) -> Tensor:
    """Un-normalised forward scatter of ``values`` (N, C, H, W) by ``flow`` (N, 2, H, W), float32.

    Same contract as :func:`vsafi.models.ops.softsplat.splat_sum` (flow channel 0 is x, 1 is y, in
    pixels); returns a float32 (N, C, H, W) tensor on the inputs' device. ``fixed``: summed in
    64-bit fixed point, equal bit for bit to :func:`vsafi.models.ops.softsplat.splat_sum_fixed`.
    """
    if values.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError("splat: expected values (N, C, H, W) and flow (N, 2, H, W)")
    n, c, h, w = values.shape
    if flow.shape[0] != n or flow.shape[2:] != values.shape[2:]:
        raise ValueError(f"splat: flow {tuple(flow.shape)} does not match values {tuple(values.shape)}")
    if flow.device != values.device:
        raise ValueError(f"splat: flow on {flow.device}, values on {values.device}")
    if h * w >= 2**31:
        raise ValueError("splat: frames over 2**31 pixels are not supported by the Triton kernel")
    values = values.float().contiguous()
    flow = flow.float().contiguous()
    out = torch.zeros(n, c, h, w, dtype=torch.int64 if fixed else torch.float32, device=values.device)
    if out.numel() == 0:
        return out.float()
    scale, inverse = plane_scales(values) if fixed else (values, None)
    grid = (triton.cdiv(h * w, _BLOCK), n)
    _splat_sum_kernel[grid](
        values, flow, out, scale.contiguous(), c, h, w, BLOCK=_BLOCK, FLT_MAX=_FLT_MAX, FIXED=fixed,
        enable_fp_fusion=False
    )
    return dequantize(out, inverse.view(n, c, 1, 1)) if fixed else out
