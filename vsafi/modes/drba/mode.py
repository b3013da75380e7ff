"""The DRBA mode's engine half: ratio maps per centre frame, one synthesis per output.

Everything is cached by source indices so random access equals playback: the endpoint flows per
pair (the engine's ('flows', i)) and the ratio map per centre ('drm', k). The mode never asks
which model it holds: it hands the backend a :class:`TimeMap` and the backend uses what it needs.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ...engine.render import Job
from ...models.backend import TimeMap
from ...models.ops.grids import output_grid_time
from ...timing.plan import Interp, Node
from ...timing.scenes import CutTest
from ..base import Mode
from .plan import DrbaStep, drba_center, drba_plan, drba_window
from .ratio import held_ratio, keep_where_still, step_time

__all__ = ["DrbaMode", "SIDE_DOMINANCE", "ratio_map"]

#: Where one side's timestep exceeds this multiple of the other's, the output sits on the near
#: side's frame; backends that warp each side separately may show that side's picture on both
#: (:class:`TimeMap`, docs/drba.md).
SIDE_DOMINANCE = 25.0


def ratio_map(job: Job, k: int) -> tuple[Tensor, Tensor]:
    """(rho0, rho2) of centre F[k] on its flow grid, cached as ('drm', k); needs F[k−1..k+1]."""

    def make() -> tuple[Tensor, Tensor]:
        f10 = job.flows(k - 1)[1]
        f12 = job.flows(k)[0]
        prev, centre, nxt = (job.source(i) for i in (k - 1, k, k + 1))
        with job.map_slot(), torch.inference_mode():
            return held_ratio(f10, f12, prev, centre, nxt)

    return job.cache.get(("drm", k), make)


class DrbaMode(Mode):
    """Distance-ratio based adjuster: per-pixel timesteps that keep held drawings held."""

    def shown_frame(self, j: int) -> int:
        """DRBA shows F[round(tau)]: the centre of the triplet, not floor(tau)."""
        return drba_center(j, self.ratio, self.n, self.phase)[0]

    def core_window(self, j: int) -> range:
        return drba_window(j, self.ratio, self.n, self.phase)

    def plan(self, j: int, is_cut: CutTest, job: Job) -> Interp | DrbaStep:
        return drba_plan(j, self.ratio, self.n, is_cut, self.phase)

    def render(self, plan: Interp | DrbaStep, job: Job) -> Tensor:
        if isinstance(plan, Interp):
            return job.interp(plan)
        k = plan.center
        towards_previous = plan.neighbour < k
        if towards_previous:
            state = job.backend.swap(job.pair(Node(0, k - 1), Node(0, k)))
            flow = job.flows(k - 1)[1]
        else:
            state = job.pair(Node(0, k), Node(0, k + 1))
            flow = job.flows(k)[0]
        rho0, rho2 = ratio_map(job, k)
        with torch.inference_mode():
            t_centre = step_time(rho0, rho2, towards_previous, float(plan.s))
            t_out = output_grid_time(t_centre, flow)
        out = job.backend.synth(state, TimeMap(t_centre, t_out, SIDE_DOMINANCE))
        with torch.inference_mode():
            out = keep_where_still(out, job.source(k), t_out)
        return job.canvas.crop(out).float()
