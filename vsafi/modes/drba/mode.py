"""The DRBA mode's engine half: ratio maps per centre frame, one synthesis per output.

The ratio map of each centre frame is cached by its index (the engine caches the endpoint flows
per pair), so random access equals playback. The mode never asks which model it holds: it hands
the engine a per-pixel time and the backend uses what it needs.
"""

from __future__ import annotations


import torch
from torch import Tensor

from ...engine.keys import FrameKey
from ...engine.render import Job
from ...timing.plan import Interp
from ...timing.scenes import CutTest
from ..base import Mode
from .plan import DrbaStep, drba_center, drba_plan, drba_window
from .ratio import held_ratio, keep_where_still, step_time

__all__ = ["DrbaMode", "RatioMap", "SIDE_DOMINANCE", "ratio_map"]

#: Where one side's timestep exceeds this multiple of the other's, the output sits on the near
#: side's frame; backends that warp each side separately may show that side's picture on both
#: (:class:`vsafi.models.backend.TimeMap`, docs/drba.md).
SIDE_DOMINANCE = 25.0


class RatioMap(FrameKey):
    """The (rho0, rho2) ratio maps of centre frame ``index``."""

    kind = "drm"


def ratio_map(job: Job, k: int) -> tuple[Tensor, Tensor]:
    """(rho0, rho2) of centre F[k] on its flow grid; needs F[k−1..k+1]."""

    def make() -> tuple[Tensor, Tensor]:
        f10 = job.flow_from(k, k - 1)
        f12 = job.flow_from(k, k + 1)
        prev, centre, nxt = (job.source(i) for i in (k - 1, k, k + 1))
        with job.map_slot(), torch.inference_mode():
            return held_ratio(f10, f12, prev, centre, nxt)

    return job.remember(RatioMap(k), make)


class DrbaMode(Mode):
    """Distance-ratio based adjuster: per-pixel timesteps that keep held drawings held."""

    cache_keys = (RatioMap,)

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
        rho0, rho2 = ratio_map(job, k)
        with torch.inference_mode():
            t_centre = step_time(rho0, rho2, plan.neighbour < k, float(plan.s))
        out, t_out = job.synth_from(k, plan.neighbour, t_centre, SIDE_DOMINANCE)
        with torch.inference_mode():
            out = keep_where_still(out, job.source(k), t_out)
        return job.crop(out)
