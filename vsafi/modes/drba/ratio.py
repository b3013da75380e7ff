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

from .regions import region_count, region_labels

__all__ = ["DIST_EPS", "STILL_TOLERANCE", "STILL_RADIUS", "HELD_TIME", "STRUCTURE", "MIN_MOTION",
           "EVIDENCE_RADIUS", "HOLD_READ", "HELD_BAND", "HELD_BALANCE", "MIN_FILL", "distance_ratio",
           "held_ratio", "read_fills", "with_outline", "structure", "spread_evidence", "step_time", "unchanged",
           "keep_where_still"]

#: Added to flow magnitudes so a pixel static on both sides gets rho = ½, not 0/0.
DIST_EPS = 1e-4
#: Largest per-channel change (of 1.0) that still counts as "the picture did not change".
STILL_TOLERANCE = 2.0 / 255
#: Neighbourhood, in flow-grid points, that must be unchanged around a still point.
STILL_RADIUS = 2
#: Output-grid timestep at or below which a pixel shows the centre frame untouched.
HELD_TIME = 1e-3
#: Step (of 1.0, any channel) to a neighbouring pixel above which the picture has structure:
#: ink lines and texture, not the antialiasing noise or gradients inside a cel fill.
STRUCTURE = 0.05
#: Flow, in flow-grid pixels summed over both sides, below which a point shows no motion whose
#: timing could be measured.
MIN_MOTION = 0.5
#: Flow-grid points from which a point without its own evidence takes the ratio observed around
#: it (measured against other radii and no spreading: docs/drba.md §6).
EVIDENCE_RADIUS = 8
#: A point's ratio reads as a hold on one side when it is below this (rho0 for the previous
#: side, rho2 for the next): 0.00–0.02 on the ink line of a box on twos over a pan, 0.16–0.19 on
#: the background it is about to cover.
HOLD_READ = 0.15
#: Share of a fill that must be unchanged on one side alone (the band its drawing's jump leaves
#: behind) for the fill to be held on that side: far below the bands of fills on twos and threes
#: (docs/drba.md §6), so a wide fill with a short step still holds, and above a few stray points.
HELD_BAND = 0.01
#: Most points unchanged on the other side alone, as a fraction of those on the held side, that a
#: held fill may have: a fill moving on ones has as many on both sides, one on twos or threes none.
HELD_BALANCE = 0.25
#: Points a fill needs before its bands decide anything: one evidence window. Smaller fills lie
#: within reach of their outline's evidence, and a few dozen points are too few to weigh one
#: side's band against the other's.
MIN_FILL = (2 * EVIDENCE_RADIUS + 1) ** 2


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


def structure(img: Tensor, grid: tuple[int, int]) -> Tensor:
    """(N, 1, h, w) bool on a flow grid: the picture has an edge or texture at each point, i.e.
    some channel steps by more than STRUCTURE to a 4-neighbour pixel."""
    x = img.float()
    step = torch.zeros_like(x[:, :1])
    dx = (x[..., :, 1:] - x[..., :, :-1]).abs().amax(dim=1, keepdim=True)
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs().amax(dim=1, keepdim=True)
    step[..., :, 1:] = torch.maximum(step[..., :, 1:], dx)
    step[..., :, :-1] = torch.maximum(step[..., :, :-1], dx)
    step[..., 1:, :] = torch.maximum(step[..., 1:, :], dy)
    step[..., :-1, :] = torch.maximum(step[..., :-1, :], dy)
    if step.shape[2:] != grid:
        step = F.adaptive_max_pool2d(step, grid)
    return step > STRUCTURE


def _box_mean(x: Tensor, radius: int) -> Tensor:
    """Mean over the (2·radius + 1)² box around each point, counting only points inside."""
    k = 2 * radius + 1
    x = F.avg_pool2d(x, (1, k), stride=1, padding=(0, radius), count_include_pad=False)
    return F.avg_pool2d(x, (k, 1), stride=1, padding=(radius, 0), count_include_pad=False)


def spread_evidence(rho0: Tensor, observed: Tensor, radius: int = EVIDENCE_RADIUS) -> Tensor:
    """``rho0`` where ``observed``; elsewhere the mean of the observed points within ``radius``
    (normalised box average), or ½ (plain VFI) where none is that near."""
    weight = observed.float()
    near = _box_mean(weight, radius)
    spread = _box_mean(weight * rho0, radius) / near.clamp_min(1e-6)
    return torch.where(observed, rho0, torch.where(near > 1e-6, spread, torch.full_like(rho0, 0.5)))


def read_fills(only10: Tensor, only12: Tensor, fill: Tensor, moving: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(held on the previous side, held on the next side, moving on ones), bool (N, 1, h, w):
    each ``fill`` region of MIN_FILL points or more, read whole from the bands of its ``moving``
    points that are unchanged on the previous side alone (``only10``) or the next alone
    (``only12``).

    Inside a flat fill the flows are a guess (the aperture problem), but whether the picture
    changed is not. A drawing held on one side and jumping on the other leaves a band unchanged
    on the held side alone and none on the other: held, when the band is at least HELD_BAND of
    the region and the other side's at most HELD_BALANCE of it. A fill moving on ones leaves a
    band on each side (its edges sweep over it): moving, when both bands are at least HELD_BAND and neither side is held
    (docs/drba.md §6). A held region holds whole, also where its flows saw no motion: inside a
    fill on twos the flows vanish in patches, which would take ½ and pull the ink line beside
    them.
    """
    label = region_labels(fill)
    size = region_count(label, fill).double()
    band10 = region_count(label, moving & only10).double()
    band12 = region_count(label, moving & only12).double()
    big = size >= MIN_FILL

    def held(band: Tensor, other: Tensor) -> Tensor:
        return big & (band >= HELD_BAND * size) & (other <= HELD_BALANCE * band)

    held0, held2 = held(band10, band12), held(band12, band10)
    both = big & (band10 >= HELD_BAND * size) & (band12 >= HELD_BAND * size)
    return held0, held2, both & ~held0 & ~held2


def with_outline(held: Tensor, reads: Tensor) -> Tensor:
    """``held`` grown by every point connected to it through points that ``reads`` a hold on the
    same side: the drawing's ink line and what it is about to cover, which then hold exactly.

    Read point by point, an outline next to a held fill holds only nearly: a model then renders
    it just above HELD_TIME and the drawing creeps before it jumps (docs/drba.md §6).
    """
    return region_count(region_labels(held | reads), held) > 0


def held_ratio(f10: Tensor, f12: Tensor, prev: Tensor, centre: Tensor, nxt: Tensor) -> tuple[Tensor, Tensor]:
    """(rho0, rho2) of a centre frame from its flows to both neighbours and the three pictures.

    Where exactly one side is :func:`unchanged` (a held drawing), that side counts as zero
    distance, so holds stay held. The ratio is only *observed* where it can be: where the
    centre has :func:`structure`, something moves (the flows sum to MIN_MOTION or more) and the
    picture changes on at least one side. Inside a flat fill the flows are a guess (the aperture
    problem), and an edge moving along itself looks the same on both sides; those points take
    the ratio observed around them (:func:`spread_evidence`).

    That reaches EVIDENCE_RADIUS into a fill, so wider fills are read whole (:func:`read_fills`).
    A fill held on one side holds exactly, and so does everything joined to it that reads a hold
    on the same side, its ink line first (:func:`with_outline`), so a drawing on twos over a pan
    does not creep towards its next drawing. Near a fill that moves on ones, a point changed on
    one side alone is not a hold but the fill's own motion: the strip it is about to cover, the
    band its edge has just left. Such points within EVIDENCE_RADIUS of it take ½; as holds they
    would hold the fill's edge back.

    A point that moves on neither side has no timing to keep and takes ½, as plain VFI: a hold
    spread onto a still background changes no pixel there, but a model that convolves the time
    map (RIFE) then misplaces the moving drawing's edge beside it. Measurements: docs/drba.md §6.
    """
    grid = tuple(f10.shape[2:])
    still10, still12 = unchanged(centre, prev, grid), unchanged(centre, nxt, grid)
    moving = (torch.linalg.vector_norm(f10.float(), dim=1, keepdim=True)
              + torch.linalg.vector_norm(f12.float(), dim=1, keepdim=True)) >= MIN_MOTION
    only10, only12 = still10 & ~still12, still12 & ~still10
    edges = structure(centre, grid)
    observed = edges & moving & ~(still10 & still12)
    held0, held2, swept = read_fills(only10, only12, ~edges, moving)
    f10 = torch.where(only10, 0.0, f10)
    f12 = torch.where(only12, 0.0, f12)
    rho0, _ = distance_ratio(f10, f12)
    near_swept = F.max_pool2d(swept.float(), 2 * EVIDENCE_RADIUS + 1, stride=1, padding=EVIDENCE_RADIUS) > 0
    rho0 = torch.where((only10 | only12) & near_swept, 0.5, rho0)
    reads = torch.cat([moving & (rho0 < HOLD_READ), moving & (rho0 > 1.0 - HOLD_READ)])
    held0, held2 = with_outline(torch.cat([held0, held2]), reads).chunk(2)  # both sides in one pass
    rho0 = torch.where(moving, spread_evidence(rho0, observed), 0.5)
    rho0 = torch.where(held0, 0.0, torch.where(held2, 1.0, rho0))
    return rho0, 1.0 - rho0


def step_time(rho0: Tensor, rho2: Tensor, towards_previous: bool, s: float) -> Tensor:
    """Time on the centre's grid, in [0, 1]: 2·s·rho2 towards the previous frame, 2·s·rho0 towards
    the next (s = |tau − k| ≤ ½, so linear motion gets s).

    A point held with the neighbour it moves towards (its share of the distance to that side
    exactly 0: :func:`held_ratio`'s holds) takes 0, not 2·s: it has nowhere to go, and at 0
    :func:`keep_where_still` shows the centre's own pixels: models do not return a picture
    unchanged when asked to move it by nothing (docs/drba.md §7)."""
    ratio, near = (rho2, rho0) if towards_previous else (rho0, rho2)
    return torch.where(near == 0.0, 0.0, (2.0 * float(s) * ratio).clamp(0.0, 1.0))


def keep_where_still(out: Tensor, centre: Tensor, t_out: Tensor) -> Tensor:
    """VFI at t = 0 is the first input untouched, per pixel: where the output-grid timestep is
    0 (a held drawing), the output pixel is the centre frame's. Networks trained on a scalar t
    otherwise smear ink edges by about a pixel beside regions whose t is not 0."""
    still = t_out <= HELD_TIME
    if still.shape[2:] != out.shape[2:]:
        still = F.interpolate(still.float(), size=out.shape[2:], mode="nearest") > 0.5
    return torch.where(still, centre.to(out.dtype), out)
