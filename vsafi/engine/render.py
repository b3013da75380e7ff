"""Execute plans with a model, caching every intermediate by deterministic source-index keys.

Keys: ('src', i) source frame i on the canvas, ('pair', a, b) pair state of two nodes (for
backends whose pair work is worth keeping), ('flows', i) endpoint flows of F[i] and F[i+1],
('node', l, i) forward-dedup pyramid node. A value depends only on its key, never on which
output frame asked first, so seeking gives the same pictures as playback.

The engine never sees a VapourSynth frame: the filter hands each output's source frames over as
a :class:`SourceFrames` (tensors, gray images and props by index).
"""

from __future__ import annotations

import threading
from fractions import Fraction
from typing import Any, Mapping, Protocol

import numpy as np
import torch

from ..models.backend import Backend, TimeMap
from ..timing.plan import Interp, Node
from .cache import OnceCache
from .canvas import Canvas

__all__ = ["SourceFrames", "Renderer", "Job", "MAP_SLOTS"]

_HALF = Fraction(1, 2)

#: Per-frame map computations (DRBA's ratio maps) one filter runs at once. A ratio map's
#: temporaries are many frames' worth: on a 1920x1088 grid 0.44 GiB for one, 1.2 GiB for three
#: at once and 2.3 GiB for six (peak RSS over the inputs, CPU: benchmarks/map_memory.py).
#: VapourSynth's threads each started one for their own centre frame (three at once from 8
#: threads on a fast model), and RIFE drba peaked at 4.5 GiB on an H200 where plain needed 0.8.
#: One slot cost no throughput against a model paced like a GPU (benchmarks/model_pacing.py;
#: benchmarks/RESULTS.md, "DRBA's peak memory").
MAP_SLOTS = 1


class SourceFrames(Protocol):
    """The source frames fetched for one output, by source index."""

    def rgb(self, i: int, device: torch.device) -> torch.Tensor:
        """(1, 3, H, W) float32 RGB of frame i on ``device``, nominally in [0, 1]."""

    def gray(self, i: int) -> np.ndarray:
        """(H, W) float32 luma-like image of frame i, for analysis."""

    def props(self, i: int) -> Mapping[str, Any]:
        """Frame i's props (upstream scene-change marks)."""


class Renderer:
    """Per-filter state shared by every output: the backend, this clip's canvas and the cache."""

    def __init__(self, backend: Backend, height: int, width: int, cache: OnceCache) -> None:
        self.backend = backend
        self.canvas = Canvas(height, width, backend.unit, backend.canvas_mode)
        self.cache = cache
        self.map_slots = threading.BoundedSemaphore(MAP_SLOTS)

    def job(self, frames: SourceFrames) -> "Job":
        """The engine as one output sees it: this renderer bound to that output's source frames."""
        return Job(self, frames)


class Job:
    """One output's access to the engine. Every method returns a cached value when there is one."""

    def __init__(self, renderer: Renderer, frames: SourceFrames) -> None:
        self.backend = renderer.backend
        self.canvas = renderer.canvas
        self.cache = renderer.cache
        self._map_slots = renderer.map_slots
        self.frames = frames

    def source(self, i: int) -> torch.Tensor:
        """Source frame i as RGB on the model canvas in the compute dtype."""
        return self.cache.get(("src", i), lambda: self._on_canvas(self.frames.rgb(i, self.backend.device)))

    def offer_source(self, i: int, rgb: torch.Tensor) -> None:
        """Keep source frame i's canvas, made from ``rgb`` (its :meth:`SourceFrames.rgb`), unless
        it is cached already: whoever converted frame i for another reason (cut thumbnails,
        which run a few frames ahead) spares :meth:`source` a second conversion."""
        self.cache.offer(("src", i), lambda: self._on_canvas(rgb))

    def _on_canvas(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.canvas.pad(rgb.clamp(0, 1)).to(self.backend.dtype).contiguous()

    def map_slot(self) -> threading.BoundedSemaphore:
        """A context that holds one of the filter's :data:`MAP_SLOTS` while a frame-sized map is
        computed. Fetch every input first: waiting for the cache inside it could deadlock."""
        return self._map_slots

    def node(self, node: Node) -> torch.Tensor:
        """Pyramid node L[l][i]: a source frame or MID of two nodes one level down."""
        if node.level == 0:
            return self.source(node.index)

        def make() -> torch.Tensor:
            a = Node(node.level - 1, node.index)
            b = Node(node.level - 1, node.index + 1)
            return self.vfi(a, b, _HALF)

        return self.cache.get(("node", node.level, node.index), make)

    def pair(self, a: Node, b: Node) -> Any:
        """The backend's pair state of two nodes; the nodes are fetched only when it is made."""

        def make() -> Any:
            return self.backend.pair(self.node(a), self.node(b))

        return self.cache.get(("pair", a, b), make) if self.backend.caches_pairs else make()

    def flows(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(flow F[i]→F[i+1] on F[i]'s flow grid, flow F[i+1]→F[i] on F[i+1]'s), float32."""
        return self.cache.get(("flows", i), lambda: self.backend.flows(self.pair(Node(0, i), Node(0, i + 1))))

    def vfi(self, a: Node, b: Node, t: Fraction | float | TimeMap) -> torch.Tensor:
        """VFI(a, b, t) on the canvas; a is the earlier node."""
        return self.backend.synth(self.pair(a, b), float(t) if isinstance(t, Fraction) else t)

    def interp(self, plan: Interp) -> torch.Tensor:
        """The output image of an Interp plan, cropped to the clip size (float32 RGB)."""
        out = self.node(plan.a) if plan.b is None else self.vfi(plan.a, plan.b, plan.t)
        return self.canvas.crop(out).float()
