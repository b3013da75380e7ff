"""Carrying per-pixel values from one frame's grid to another's by forward splatting.

A mode that gives every pixel its own time computes that time where it measures motion (on a
source frame's grid); a model needs it where it samples (the output grid, or the other frame's
grid). Pixels nothing lands on keep a fallback value instead of the splat's zero.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .softsplat import splat, splat_with_weight

__all__ = ["HOLE_COVERAGE", "splat_keep_holes", "endpoint_flow", "endpoint_flows", "output_grid_time", "neighbour_time"]

#: A splat target whose normalised coverage is below this received nothing: a hole. Coverage of
#: a target hit by bilinear weights sums to 1 up to float32 rounding (~1e-7), so 0.999 only
#: separates "hit" from "missed".
HOLE_COVERAGE = 0.999


def splat_keep_holes(values: Tensor, flow: Tensor, fill: Tensor) -> Tensor:
    """Average splat of ``values`` by ``flow``; targets nothing lands on take ``fill`` instead."""
    ones = torch.ones_like(values[:, :1], dtype=torch.float32)
    moved, _ = splat_with_weight(torch.cat((values.float(), ones), 1), flow.float(), mode="avg")
    holes = moved[:, -1:] < HOLE_COVERAGE
    return torch.where(holes, fill.float(), moved[:, :-1])


def endpoint_flow(flow_mid: Tensor) -> Tensor:
    """Flow a→b (N, 2, H, W, pixels) on a's grid from the mid→a backward flow of a t=½ pass.

    ``flow_mid`` says where each mid-grid pixel samples a; pushing its negation by itself onto
    a's grid gives the a→mid displacement, doubled for a→b (linear over the pair). Pixels of a
    seen from no mid pixel (occluded at mid) get max(H, W) in both channels: a huge distance, so
    a distance ratio treats them as moving on this side.
    """
    flow_mid = flow_mid.float()
    h, w = flow_mid.shape[2:]
    far = torch.full_like(flow_mid, float(max(h, w)))
    return splat_keep_holes(-2.0 * flow_mid, flow_mid, far)


def endpoint_flows(flow_mid: Tensor) -> tuple[Tensor, Tensor]:
    """(flow a→b on a's grid, flow b→a on b's grid) from the (N, 4, H, W) final flow of an IFNet
    pass at t = ½ over (a, b): channels 0–1 sample a, 2–3 sample b (:func:`endpoint_flow`)."""
    return endpoint_flow(flow_mid[:, :2]), endpoint_flow(flow_mid[:, 2:4])


def output_grid_time(t: Tensor, flow: Tensor) -> Tensor:
    """A time map on frame 0's grid carried to the output grid (for backward-warping models):
    each pixel lands at its position at its own time, moved by flow·t (flow: frame 0→1); holes
    keep t."""
    t = t.float()
    return splat_keep_holes(t, flow.float() * t, t)


def neighbour_time(t: Tensor, flow: Tensor, metric: Tensor) -> Tensor:
    """Weight of frame 1's side on frame 1's grid for a time map ``t`` on frame 0's grid: 1 − t
    softmax-splatted by the full frame 0→1 flow with frame 0's metric (the foreground wins
    collisions); holes keep 1 − t."""
    rest = 1.0 - t.float()
    moved = splat(rest, flow.float(), metric.float(), mode="soft")
    ones = torch.ones_like(rest)
    coverage, _ = splat_with_weight(ones, flow.float(), mode="avg")
    return torch.where(coverage < HOLE_COVERAGE, rest, moved)
