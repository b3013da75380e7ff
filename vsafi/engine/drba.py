"""DRBA mode: per-pixel timesteps from the distance ratio of each centre frame's two flows.

An output near source frame F[k] moves from F[k] towards one neighbour by a local distance s.
Linear motion should move by s (what plain VFI does); a region static on one side of k is a
held drawing and must not move at all on the other side. The distance ratio of the two flows
out of F[k] gives both: rho = ½ for linear motion, 0 on the side opposite a hold.

Everything is cached by source indices so random access equals playback: endpoint flows per
canonical pair ('drba_flow', i) for RIFE (GMFSS reads them from the shared ('pair', ...)
state), the ratio map per centre ('drm', k). Flows, splats and maps are float32.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ..models.softsplat import splat, splat_with_weight
from ..timing.drba import drba_center, drba_plan, drba_window
from ..timing.plan import DrbaStep, Interp, Node, Plan
from .backend import GMFSSBackend
from .modes import Mode
from .render import Frames, Renderer

if TYPE_CHECKING:
    from ..models.gmfss import PairState

__all__ = [
    "DrbaMode",
    "endpoint_flow",
    "distance_ratio",
    "step_time",
    "output_grid_time",
    "neighbour_time",
    "swap_pair",
    "pair_flows",
    "distance_ratio_map",
]

#: Added to flow magnitudes so a pixel static on both sides gets rho = ½, not 0/0.
DIST_EPS = 1e-4
#: Largest per-channel change (of 1.0) that still counts as "the picture did not change".
STILL_TOLERANCE = 2.0 / 255
#: Neighbourhood, in flow-grid points, that must be unchanged around a still point.
STILL_RADIUS = 2
#: Output-grid timestep at or below which a pixel shows the centre frame untouched.
HELD_TIME = 1e-3
#: A splat target whose normalised coverage is below this received nothing: a hole.
HOLE_COVERAGE = 0.999
#: Union: where one side's timestep exceeds this multiple of the other's, both sides show the
#: warped picture of the side whose timestep is small (``GMFSS.synth(near_side_ratio=...)``).
SIDE_DOMINANCE = 25.0


def _avg_splat_keep_holes(values: Tensor, flow: Tensor, fill: Tensor) -> Tensor:
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
    the ratio map treats them as moving on this side.
    """
    flow_mid = flow_mid.float()
    h, w = flow_mid.shape[2:]
    far = torch.full_like(flow_mid, float(max(h, w)))
    return _avg_splat_keep_holes(-2.0 * flow_mid, flow_mid, far)


def distance_ratio(f10: Tensor, f12: Tensor) -> tuple[Tensor, Tensor]:
    """(rho0, rho2) (N, 1, H, W) from the flows centre→previous and centre→next.

    rho0 = d10 / (d10 + d12), rho2 = d12 / (d10 + d12) with d = |flow| + DIST_EPS: both in [0, 1],
    ½ for linear motion and for a static pixel, 0 for rho0 where the previous frame is a hold.
    """
    d10 = torch.linalg.vector_norm(f10.float(), dim=1, keepdim=True) + DIST_EPS
    d12 = torch.linalg.vector_norm(f12.float(), dim=1, keepdim=True) + DIST_EPS
    total = d10 + d12
    return d10 / total, d12 / total


def step_time(rho0: Tensor, rho2: Tensor, towards_previous: bool, s: float) -> Tensor:
    """T1 on the centre's grid, in [0, 1]: 2·s·rho2 towards the previous frame, 2·s·rho0 towards
    the next (s = |tau − k| ≤ ½, so linear motion gets T1 = s)."""
    ratio = rho2 if towards_previous else rho0
    return (2.0 * float(s) * ratio).clamp(0.0, 1.0)


def output_grid_time(t1: Tensor, flow: Tensor) -> Tensor:
    """T1 carried to the output grid (for backward-warping RIFE): each centre pixel lands at
    its position at time T1, i.e. moved by flow·T1 (flow: centre→neighbour); holes keep T1."""
    t1 = t1.float()
    return _avg_splat_keep_holes(t1, flow.float() * t1, t1)


def neighbour_time(t1: Tensor, flow: Tensor, metric: Tensor) -> Tensor:
    """GMFSS weight of the neighbour side on the neighbour's grid: 1 − T1 softmax-splatted by the
    full centre→neighbour flow with the centre's metric (the foreground wins collisions); holes
    keep 1 − T1."""
    rest = 1.0 - t1.float()
    moved = splat(rest, flow.float(), metric.float(), mode="soft")
    ones = torch.ones_like(rest)
    coverage, _ = splat_with_weight(ones, flow.float(), mode="avg")
    return torch.where(coverage < HOLE_COVERAGE, rest, moved)


def swap_pair(state: "PairState") -> "PairState":
    """The pair state seen from its second frame: frame 1 becomes frame 0 with its flow, metric,
    features and half-size image, so a centre that is the later frame of its canonical pair
    still plays frame 0."""
    return dataclasses.replace(
        state,
        half0=state.half1,
        half1=state.half0,
        feat0=state.feat1,
        feat1=state.feat0,
        flow01=state.flow10,
        flow10=state.flow01,
        metric0=state.metric1,
        metric1=state.metric0,
    )


def _is_gmfss(renderer: Renderer) -> bool:
    return isinstance(renderer.backend, GMFSSBackend)


def _rife_pair_flows(renderer: Renderer, i: int, frames: Frames) -> tuple[Tensor, Tensor]:
    """One full IFNet pass at t = ½ over (F[i], F[i+1]); its final flow gives both endpoints.

    The final flow, not the coarsest block's: on small frames the 1/8-scale block misreads
    motion by whole pixels, which the ratio map would turn into false holds.
    """
    flow = renderer.backend.flow(renderer.source(i, frames), renderer.source(i + 1, frames))
    with torch.inference_mode():
        return endpoint_flow(flow[:, :2]), endpoint_flow(flow[:, 2:4])


def pair_flows(renderer: Renderer, i: int, frames: Frames) -> tuple[Tensor, Tensor]:
    """(flow F[i]→F[i+1] on F[i]'s grid, flow F[i+1]→F[i] on F[i+1]'s grid), float32.

    RIFE: canvas pixels, cached as ('drba_flow', i). GMFSS: the half-size GMFlow flows of the
    pair state shared with every other mode, in half-size pixels.
    """
    if _is_gmfss(renderer):
        state = renderer.pair(Node(0, i), Node(0, i + 1), frames)
        return state.flow01.float(), state.flow10.float()
    return renderer.cache.get(("drba_flow", i), lambda: _rife_pair_flows(renderer, i, frames))


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


def distance_ratio_map(renderer: Renderer, k: int, frames: Frames) -> tuple[Tensor, Tensor]:
    """(rho0, rho2) of centre F[k] on its flow grid, cached as ('drm', k); needs F[k−1..k+1].

    Where exactly one side is ``unchanged`` (a held drawing), that side counts as zero distance,
    so holds stay held. Where both are (static background, or the overlap of a flat fill with
    its next position), the flows decide as usual.
    """

    def make() -> tuple[Tensor, Tensor]:
        f10 = pair_flows(renderer, k - 1, frames)[1]
        f12 = pair_flows(renderer, k, frames)[0]
        prev, centre, nxt = (renderer.source(i, frames) for i in (k - 1, k, k + 1))
        with torch.inference_mode():
            grid = tuple(f10.shape[2:])
            still10, still12 = unchanged(centre, prev, grid), unchanged(centre, nxt, grid)
            f10 = torch.where(still10 & ~still12, 0.0, f10)
            f12 = torch.where(still12 & ~still10, 0.0, f12)
            return distance_ratio(f10, f12)

    return renderer.cache.get(("drm", k), make)


def _centre_flow_and_time(renderer: Renderer, step: DrbaStep, frames: Frames) -> tuple[Tensor, Tensor]:
    """(flow centre→neighbour, T1) of a DRBA step, on the centre's flow grid."""
    k = step.center
    towards_previous = step.neighbour < k
    rho0, rho2 = distance_ratio_map(renderer, k, frames)
    if towards_previous:
        flow = pair_flows(renderer, k - 1, frames)[1]
    else:
        flow = pair_flows(renderer, k, frames)[0]
    with torch.inference_mode():
        return flow, step_time(rho0, rho2, towards_previous, float(step.s))


def keep_where_still(out: Tensor, centre: Tensor, t_out: Tensor) -> Tensor:
    """VFI at t = 0 is the first input untouched, per pixel: where the output-grid timestep is
    0 (a held drawing), the output pixel is the centre frame's. Networks trained on a scalar t
    otherwise smear ink edges by about a pixel beside regions whose t is not 0."""
    still = t_out <= HELD_TIME
    if still.shape[2:] != out.shape[2:]:
        still = F.interpolate(still.float(), size=out.shape[2:], mode="nearest") > 0.5
    return torch.where(still, centre.to(out.dtype), out)


def _render_rife(renderer: Renderer, step: DrbaStep, frames: Frames) -> Tensor:
    flow, t1 = _centre_flow_and_time(renderer, step, frames)
    with torch.inference_mode():
        t_out = output_grid_time(t1, flow)
    centre = renderer.source(step.center, frames)
    neighbour = renderer.source(step.neighbour, frames)
    out = renderer.backend.synth(centre, neighbour, None, t_out)
    with torch.inference_mode():
        return keep_where_still(out, centre, t_out)


def _render_gmfss(renderer: Renderer, step: DrbaStep, frames: Frames) -> Tensor:
    k = step.center
    if step.neighbour > k:
        state = renderer.pair(Node(0, k), Node(0, k + 1), frames)
    else:
        state = swap_pair(renderer.pair(Node(0, k - 1), Node(0, k), frames))
    flow, t1 = _centre_flow_and_time(renderer, step, frames)
    with torch.inference_mode():
        t_nb = neighbour_time(t1, flow, state.metric0)
        t_out = output_grid_time(t1, flow)
    backend = renderer.backend
    if getattr(backend.module, "ifnet", None) is None:
        out = backend.synth(None, None, state, t1, t_nb)
    else:
        out = backend.synth(None, None, state, t1, t_nb, t_rife=t_out, near_side_ratio=SIDE_DOMINANCE)
    with torch.inference_mode():
        return keep_where_still(out, renderer.source(k, frames), t_out)


class DrbaMode(Mode):
    """Distance-ratio based adjuster: per-pixel timesteps that keep held drawings held."""

    name = "drba"

    def shown_frame(self, j: int) -> int:
        """DRBA shows F[round(tau)]: the centre of the triplet, not floor(tau)."""
        return drba_center(j, self.ratio, self.n, self.phase)[0]

    def core_window(self, j: int) -> range:
        return drba_window(j, self.ratio, self.n, self.phase)

    def plan(self, j: int, is_cut: Callable[[int], bool], renderer: Renderer, frames: Frames) -> Interp | DrbaStep:
        return drba_plan(j, self.ratio, self.n, is_cut, self.phase)

    def render(self, plan: Plan, renderer: Renderer, frames: Frames) -> Tensor:
        """The output picture, float32 (1, 3, H, W) RGB cropped to the clip."""
        if isinstance(plan, Interp):
            return renderer.interp(plan, frames)
        if _is_gmfss(renderer):
            out = _render_gmfss(renderer, plan, frames)
        else:
            out = _render_rife(renderer, plan, frames)
        return renderer.canvas.crop(out).float()
