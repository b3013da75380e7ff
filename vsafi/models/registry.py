"""Every model, by name, once: its weight files, its canvas and the module that loads it.

The filter's checks and messages, the CLI's choices, ``vsafi.weights`` and the README's model
table all read this table. Importing it costs nothing: a model's module (and torch) is imported
only when that model is loaded. Adding a model is one folder under ``models/`` whose module
has a ``load(spec, folder, device, dtype, scale, **options)`` function returning a Backend, and
one entry here; weights that ``vsafi.weights`` installs also get their lines in
``weights/manifest.json``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from ..names import entry

if TYPE_CHECKING:
    from pathlib import Path

    import torch

    from .backend import Backend

__all__ = ["ModelSpec", "MODELS", "DEFAULT_MODEL", "SCALES", "model_spec"]

#: Flow resolutions every model accepts (``scale=``): 0.5 suits 4K, 0.25 8K.
SCALES: tuple[float, ...] = (0.25, 0.5, 1.0)


@dataclass(frozen=True)
class ModelSpec:
    """A model's entry.

    ``unit``: canvas multiple in pixels at ``scale=1``; at lower scales the network works on a
    smaller grid, so the multiple grows to ``max(unit, unit / scale)``. ``canvas``: how frames
    reach that canvas (measured per model: docs/canvas.md). ``loader``: ``"module:function"``,
    the module relative to ``vsafi.models`` when it starts with a dot; ``options`` are passed to
    it.
    """

    name: str
    summary: str
    files: tuple[str, ...]
    unit: int
    canvas: str
    loader: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def unit_at(self, scale: float) -> int:
        """Canvas multiple at flow ``scale``."""
        return max(self.unit, int(self.unit / scale))

    def load(self, folder: "Path", device: "torch.device", dtype: "torch.dtype", scale: float) -> "Backend":
        """The model with the weights of ``folder``, behind the Backend protocol."""
        module, function = self.loader.split(":")
        load = getattr(importlib.import_module(module, __package__), function)
        return load(self, folder, device, dtype, scale, **self.options)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="rife",
            summary="RIFE IFNet v4.6: the fastest; flows are estimated again for every output",
            files=("rife.pkl",),
            unit=32, canvas="replicate", loader=".rife.backend:load"),
        ModelSpec(
            name="gmfss",
            summary="GMFSS Fortuna base: GMFlow flows once per source pair, softmax splatting of frames and "
                    "features, GridNet fusion; about 10x RIFE's time on the CPU",
            files=("flownet.pkl", "feat_base.pkl", "metric_base.pkl", "fusionnet_base.pkl", "rife.pkl"),
            unit=64, canvas="resize", loader=".gmfss.backend:load",
            options={"variant": "base", "near_side": False}),
        ModelSpec(
            name="gmfss_union",
            summary="GMFSS Fortuna union: as gmfss, with a RIFE picture of the half-size frames in the fusion",
            files=("flownet.pkl", "feat_union.pkl", "metric_union.pkl", "fusionnet_union.pkl", "rife.pkl"),
            unit=64, canvas="resize", loader=".gmfss.backend:load",
            options={"variant": "union", "near_side": True}),
    )
}

DEFAULT_MODEL = "rife"


def model_spec(name: object) -> ModelSpec:
    """The entry of ``name``; ValueError listing the registered names otherwise."""
    return entry(MODELS, "model", name)
