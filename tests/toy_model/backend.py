"""The crossfade behind the Backend protocol: ``synth`` blends the two frames by the time."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from vsafi.models.backend import TimeMap


@dataclass(frozen=True)
class Pair:
    img0: Tensor
    img1: Tensor


class Crossfade:
    """``synth`` = (1 − t)·frame 0 + t·frame 1, t scalar or the TimeMap's output-grid map."""

    caches_pairs = True

    def __init__(self, spec, device: torch.device, dtype: torch.dtype, scale: float) -> None:
        self.name = spec.name
        self.unit = spec.unit_at(scale)
        self.canvas_mode = spec.canvas
        self.device, self.dtype, self.scale = device, dtype, scale
        self.calls = 0
        self.pairs = 0
        self.maps = 0

    def pair(self, img0: Tensor, img1: Tensor) -> Pair:
        self.pairs += 1
        return Pair(img0, img1)

    def swap(self, state: Pair) -> Pair:
        return Pair(state.img1, state.img0)

    def flows(self, state: Pair) -> tuple[Tensor, Tensor]:
        still = torch.zeros_like(state.img0[:, :2], dtype=torch.float32)
        return still, still

    def compile(self, policy: str) -> None:
        """A crossfade has no network to compile."""

    def batch(self, size: int) -> None:
        """A crossfade has no network passes to batch."""

    def compiled_networks(self) -> list:
        return []

    def synth(self, state: Pair, t: float | TimeMap) -> Tensor:
        self.calls += 1
        if isinstance(t, TimeMap):
            self.maps += 1
            t = t.output
        return state.img0 * (1 - t) + state.img1 * t


def load(spec, folder, device: torch.device, dtype: torch.dtype, scale: float) -> Crossfade:
    return Crossfade(spec, device, dtype, scale)
