"""GMFSS (base and union) behind the Backend protocol: the pair state holds the GMFlow flows,
metrics, features and half-size frames, computed once per source pair."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

from ..backend import ModuleBackend, TimeMap, conv_layout
from .network import GMFSS, PairState
from ..ops.grids import neighbour_time
from ..rife.ifnet import IFNet, block_scales

if TYPE_CHECKING:
    from ..registry import ModelSpec

__all__ = ["GMFSSBackend", "swap_pair"]


def swap_pair(state: PairState) -> PairState:
    """The pair state seen from its second frame: frame 1 becomes frame 0 with its flow, metric,
    features and half-size image."""
    return dataclasses.replace(
        state,
        img0=state.img1,
        img1=state.img0,
        half0=state.half1,
        half1=state.half0,
        feat0=state.feat1,
        feat1=state.feat0,
        flow01=state.flow10,
        flow10=state.flow01,
        metric0=state.metric1,
        metric1=state.metric0,
    )


class GMFSSBackend(ModuleBackend):
    """GMFSS Fortuna. A :class:`TimeMap` scales frame 0's side by ``frame0`` and frame 1's by
    the complement carried to frame 1's grid (:func:`neighbour_time`); union's RIFE pass takes
    ``output``.

    ``flow_net``: the IFNet whose endpoint flows DRBA measures distances with (:meth:`flows`):
    union's own, or for base one loaded from ``rife.pkl`` for that alone.

    ``near_side``: whether the near-side rule of a TimeMap applies: on for union, for which it
    was written and tested; off for base, where it changed nothing measurable (docs/drba.md §9).
    """

    caches_pairs = True
    networks = ("module.flownet", "module.feat_ext", "module.metricnet", "module.fusionnet", "module.ifnet",
                "flow_net")

    def __init__(self, spec: "ModelSpec", module: GMFSS, flow_net: IFNet, device: torch.device, dtype: torch.dtype,
                 scale: float, near_side: bool) -> None:
        super().__init__(spec.name, spec.unit_at(scale), spec.canvas, module, device, dtype, scale)
        self.flow_net = flow_net.to(memory_format=conv_layout(device))  # base's lies outside ``module``
        self.near_side = near_side

    def pair(self, img0: Tensor, img1: Tensor) -> PairState:
        return self._run(lambda: self.module.pair(img0, img1), count=False)

    def swap(self, state: PairState) -> PairState:
        return swap_pair(state)

    def flows(self, state: PairState) -> tuple[Tensor, Tensor]:
        """Endpoint flows on the half-size grids, in half-size pixels.

        They come from one pass of :attr:`flow_net` at t = ½ over the full-size frames, reduced
        to the half-size grid (2×2 mean, halved). GMFlow matches features at 1/8 of the half
        frames, so its flows at thin ink lines blend the line's motion with the background's (a
        box's trailing outline moving 2.5 px: 0.2 px towards one neighbour, 4.3 towards the
        other), and DRBA's ratio read those as holds. IFNet on the half frames is no remedy: on
        a fine texture panning 1.07 px it measured 0.80 and 1.46. docs/drba.md §4.
        """
        flows = self._endpoint_flows(self.flow_net, state.img0, state.img1, block_scales(self.scale))
        with torch.inference_mode():
            return tuple(F.avg_pool2d(f, 2) / 2 for f in flows)

    def synth(self, state: PairState, t: float | TimeMap) -> Tensor:
        if not isinstance(t, TimeMap):
            return self._run(lambda: self.module.synth(state, t))

        def run() -> Tensor:
            t1 = neighbour_time(t.frame0, state.flow01, state.metric0)
            ratio = t.near_side_ratio if self.near_side else None
            return self.module.synth(state, t.frame0, t1, t_output=t.output, near_side_ratio=ratio)

        return self._run(run)


def load(spec: "ModelSpec", folder: Path, device: torch.device, dtype: torch.dtype, scale: float, *, variant: str,
         near_side: bool) -> GMFSSBackend:
    """Registry loader: GMFSS ``variant`` ('base' or 'union') from the files of ``folder``; base,
    which has no IFNet of its own, gets one from ``rife.pkl`` for DRBA's flows."""
    from .network import load_gmfss
    from ..rife.ifnet import load_ifnet

    module = load_gmfss(folder, variant, scale=scale, device=device, dtype=dtype)
    flow_net = module.ifnet if module.ifnet is not None else load_ifnet(folder / "rife.pkl", device, dtype)
    return GMFSSBackend(spec, module, flow_net, device, dtype, scale, near_side)
