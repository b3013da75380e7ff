"""DRBA's per-pixel maps: the distance ratio of a centre frame's two flows and the hold rules.

An output near source frame F[k] moves from F[k] towards one neighbour by a local distance s.
Linear motion should move by s (what plain VFI does); a region static on one side of k is a
held drawing and must not move at all on the other side. The distance ratio of the two flows
out of F[k] gives both: rho = ½ for linear motion, 0 on the side opposite a hold. Maps are
float32 (docs/drba.md §5–7).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["DIST_EPS", "STILL_TOLERANCE", "STILL_RADIUS", "HELD_TIME", "distance_ratio", "held_ratio",
           "step_time", "unchanged", "keep_where_still"]

#: Added to flow magnitudes so a pixel static on both sides gets rho = ½, not 0/0.
DIST_EPS = 1e-4
#: Largest per-channel change (of 1.0) that still counts as "the picture did not change".
STILL_TOLERANCE = 2.0 / 255
#: Neighbourhood, in flow-grid points, that must be unchanged around a still point.
STILL_RADIUS = 2
#: Output-grid timestep at or below which a pixel shows the centre frame untouched.
HELD_TIME = 1e-3


def distance_ratio(f10: Tensor, f12: Tensor) -> tuple[Tensor, Tensor]:
    """(rho0, rho2) (N, 1, H, W) from the flows centre→previous and centre→next.

    rho0 = d10 / (d10 + d12), rho2 = d12 / (d10 + d12) with d = |flow| + DIST_EPS: both in [0, 1],
    ½ for linear motion and for a static pixel, 0 for rho0 where the previous frame is a hold.
    """
    d10 = torch.linalg.vector_norm(f10.float(), dim=1, keepdim=True) + DIST_EPS
    d12 = torch.linalg.vector_norm(f12.float(), dim=1, keepdim=True) + DIST_EPS
    total = d10 + d12
    return d10 / total, d12 / total


def unchanged(a: Tensor, b: Tensor, grid: tuple[int, int]) -> Tensor:
    """(N, 1, h, w) bool on a flow grid: the picture is the same in a and b around each point.

    True where no channel changes by more than STILL_TOLERANCE anywhere within STILL_RADIUS
    grid points. Such a region did not move between the two frames, whatever a flow estimator
    says (GMFlow reports pixels of flow inside unchanged flat areas); a drawing held on one side
    is exactly a region unchanged on that side only.
    """
    change = (a.float() - b.float()).abs().amax(dim=1, keepdim=True)
    if change.shape[2:] != grid:
        change = F.adaptive_max_pool2d(change, grid)
    size = 2 * STILL_RADIUS + 1
    return F.max_pool2d(change, size, stride=1, padding=STILL_RADIUS) <= STILL_TOLERANCE


def held_ratio(f10: Tensor, f12: Tensor, prev: Tensor, centre: Tensor, nxt: Tensor) -> tuple[Tensor, Tensor]:
    """(rho0, rho2) of a centre frame from its flows to both neighbours and the three pictures.

    Where exactly one side is :func:`unchanged` (a held drawing), that side counts as zero
    distance, so holds stay held. Where both are (static background, or the overlap of a flat
    fill with its next position), the flows decide as usual.
    """
    grid = tuple(f10.shape[2:])
    still10, still12 = unchanged(centre, prev, grid), unchanged(centre, nxt, grid)
    f10 = torch.where(still10 & ~still12, 0.0, f10)
    f12 = torch.where(still12 & ~still10, 0.0, f12)
    return distance_ratio(f10, f12)


def step_time(rho0: Tensor, rho2: Tensor, towards_previous: bool, s: float) -> Tensor:
    """Time on the centre's grid, in [0, 1]: 2·s·rho2 towards the previous frame, 2·s·rho0 towards
    the next (s = |tau − k| ≤ ½, so linear motion gets s)."""
    ratio = rho2 if towards_previous else rho0
    return (2.0 * float(s) * ratio).clamp(0.0, 1.0)


def keep_where_still(out: Tensor, centre: Tensor, t_out: Tensor) -> Tensor:
    """VFI at t = 0 is the first input untouched, per pixel: where the output-grid timestep is
    0 (a held drawing), the output pixel is the centre frame's. Networks trained on a scalar t
    otherwise smear ink edges by about a pixel beside regions whose t is not 0."""
    still = t_out <= HELD_TIME
    if still.shape[2:] != out.shape[2:]:
        still = F.interpolate(still.float(), size=out.shape[2:], mode="nearest") > 0.5
    return torch.where(still, centre.to(out.dtype), out)
