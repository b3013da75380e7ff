"""RIFE behind the Backend protocol: its pair state is just the two images.

IFNet computes its flows per timestep, so there is no pair work worth caching; the endpoint
flows come from one extra pass at t = ½.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ..backend import ModuleBackend, TimeMap
from .ifnet import IFNet, block_scales

if TYPE_CHECKING:
    from ..registry import ModelSpec

__all__ = ["ImagePair", "RifeBackend"]


@dataclass(frozen=True)
class ImagePair:
    """RIFE's pair state: frame 0 and frame 1 on the canvas."""

    img0: Tensor
    img1: Tensor


class RifeBackend(ModuleBackend):
    """IFNet v4.6. A :class:`TimeMap` is used on the output grid (IFNet samples both frames
    backwards from the output); the near-side rule does not apply (one blended picture)."""

    caches_pairs = False
    networks = ("module",)

    def __init__(self, spec: "ModelSpec", module: IFNet, device: torch.device, dtype: torch.dtype,
                 scale: float) -> None:
        super().__init__(spec.name, spec.unit_at(scale), spec.canvas, module, device, dtype, scale)
        self.scales = block_scales(scale)

    def pair(self, img0: Tensor, img1: Tensor) -> ImagePair:
        return ImagePair(img0, img1)

    def swap(self, state: ImagePair) -> ImagePair:
        return ImagePair(state.img1, state.img0)

    def flows(self, state: ImagePair) -> tuple[Tensor, Tensor]:
        """Both endpoint flows from the final flow of one full pass at t = ½.

        The final flow, not the coarsest block's: on small frames the 1/8-scale block misreads
        motion by whole pixels, which a distance ratio would turn into false holds.
        """
        return self._endpoint_flows(self.module, state.img0, state.img1, self.scales)

    def synth(self, state: ImagePair, t: float | TimeMap) -> Tensor:
        # A tensor even for one time, one per image so that requests can share a batch: a
        # compiled graph would specialise on a float's value and recompile for every new time;
        # eager gives the same bits either way.
        with torch.inference_mode():
            if isinstance(t, TimeMap):
                step = t.output.to(self.dtype)
            else:
                step = torch.full((state.img0.shape[0],), t, dtype=self.dtype, device=self.device)
        return self._pass(self.module, state.img0, state.img1, step, scales=self.scales)


def load(spec: "ModelSpec", folder: Path, device: torch.device, dtype: torch.dtype, scale: float) -> RifeBackend:
    """Registry loader: IFNet from ``folder/rife.pkl``."""
    from .ifnet import load_ifnet

    (weights,) = spec.files
    return RifeBackend(spec, load_ifnet(folder / weights, device=device, dtype=dtype), device, dtype, scale)
