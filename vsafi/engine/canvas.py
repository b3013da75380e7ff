"""The model canvas: the frame size rounded up to the model's unit, and back."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["Canvas"]


@dataclass(frozen=True)
class Canvas:
    """Frame size rounded up to ``unit`` pixels, reached by ``mode``.

    ``replicate``: pad right/bottom by repeating the edge, crop after (RIFE). ``resize``: bilinear
    resize to the canvas and back (GMFSS, as upstream). Chosen per model by measurement
    (docs/canvas.md). A frame already on the unit passes unchanged either way.
    """

    height: int
    width: int
    unit: int
    mode: str = "replicate"

    @property
    def padded(self) -> tuple[int, int]:
        u = self.unit
        return -(-self.height // u) * u, -(-self.width // u) * u

    @property
    def identity(self) -> bool:
        return self.padded == (self.height, self.width)

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        if self.identity:
            return x
        ph, pw = self.padded
        if self.mode == "resize":
            return F.interpolate(x, size=(ph, pw), mode="bilinear", align_corners=False)
        return F.pad(x, (0, pw - self.width, 0, ph - self.height), mode="replicate")

    def crop(self, x: torch.Tensor) -> torch.Tensor:
        if self.identity:
            return x
        if self.mode == "resize":
            return F.interpolate(x.float(), size=(self.height, self.width), mode="bilinear", align_corners=False)
        return x[..., : self.height, : self.width]
