"""Connected regions of a boolean map on a grid, and counts per region.

DRBA reads a flat fill whole (:mod:`.ratio`): whether a whole fill is held cannot be seen point by
point. Everything here is integer arithmetic, so the result is exact and the same on every device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["region_labels", "region_count"]


def region_labels(mask: Tensor) -> Tensor:
    """(N, 1, h, w) integer: each ``mask`` point labelled by the smallest flat index in its
    4-connected region, -1 elsewhere; int32 (int64 past 2**31 points).

    Union–find in parallel: every point hooks the root of its tree under the smallest label
    around it, then every point jumps to its root. A few rounds suffice (five on a 1920x1152
    frame of a fill on twos), where spreading the minimum point by point takes as many steps as
    the region is long. All integer minima, so the labels do not depend on the order of
    anything, and seeking and playback agree on every device. In int32 its temporaries peak at
    half of int64's: 0.13 GiB over the input for one 1088x1920 mask against 0.30 (peak RSS,
    CPU), the largest part of a DRBA ratio map's memory.
    """
    n, _, h, w = mask.shape
    none = n * h * w
    dtype = torch.int32 if none < torch.iinfo(torch.int32).max else torch.int64
    inside = torch.cat([mask.flatten(), mask.new_zeros(1)])
    parent = torch.where(inside, torch.arange(none + 1, device=mask.device, dtype=dtype), none)

    def grid(x: Tensor) -> Tensor:
        return x[:none].view(n, 1, h, w)

    while True:
        p = F.pad(grid(parent), (1, 1, 1, 1), value=none)
        around = torch.minimum(p[..., :-2, 1:-1], p[..., 2:, 1:-1])
        torch.minimum(around, p[..., 1:-1, :-2], out=around)
        torch.minimum(around, p[..., 1:-1, 2:], out=around)
        del p
        torch.minimum(around, grid(parent), out=around)
        low = around.masked_fill_(~mask, none).flatten()
        hooked = parent.scatter_reduce(0, parent[:none].long(), low, reduce="amin")
        torch.minimum(hooked[:none], low, out=hooked[:none])
        del around, low
        while True:
            jumped = hooked.index_select(0, hooked)  # documented for int32 indices on every device
            if torch.equal(jumped, hooked):
                break
            hooked = jumped
        if torch.equal(hooked, parent):
            return torch.where(mask, grid(parent), -1)
        parent = hooked


def region_count(label: Tensor, x: Tensor) -> Tensor:
    """Per point, how many points of its region (``label`` ≥ 0) are True in ``x``; 0 outside."""
    inside = label >= 0
    slots = label.numel() + 1
    key = torch.where(inside, label, slots - 1).flatten().long()
    totals = torch.zeros(slots, dtype=torch.int64, device=label.device)
    totals.scatter_add_(0, key, (x & inside).flatten().long())
    return torch.where(inside, totals[key].view_as(label), 0)
