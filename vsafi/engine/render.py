"""The engine as one output sees it: its source frames, the model, the cache and the cut
verdicts, behind the few questions a mode asks (:class:`Job`).

Every intermediate is cached under a typed key of source indices (:mod:`.keys`), so a value
depends only on its key, never on which output asked first: seeking gives the same pictures as
playback. The engine never sees a VapourSynth frame: the filter hands each output's source
frames over as a :class:`SourceFrames` (tensors, gray images and props by index).
"""

from __future__ import annotations

import threading
from fractions import Fraction
from typing import Any, Callable, Mapping, Protocol, Sequence, TypeVar

import numpy as np
import torch
from torch import Tensor

from ..cuts import CUT_REACH, CutDetector, CutThumbs, change_reader, cut_test, cut_thumbs
from ..models.backend import Backend, TimeMap
from ..models.ops.grids import output_grid_time
from ..timing.plan import Interp, Node
from ..timing.scenes import CutTest
from .cache import OnceCache
from .canvas import Canvas
from .keys import CacheKey, CutThumbnails, CutVerdict, PairChange, PairFlows, PairState, PyramidNode, SourceCanvas

__all__ = ["SourceFrames", "CutFlags", "Renderer", "Job", "MAP_SLOTS"]

_V = TypeVar("_V")

_HALF = Fraction(1, 2)

#: Per-frame map computations (DRBA's ratio maps) one filter runs at once: a map's temporaries
#: are many frames' worth (0.44 GiB for one at 1920x1088), and one slot costs no throughput
#: against a model paced like a GPU (docs/drba.md §10, benchmarks/map_memory.py).
MAP_SLOTS = 1


class SourceFrames(Protocol):
    """The source frames fetched for one output, by source index."""

    def rgb(self, i: int, device: torch.device) -> torch.Tensor:
        """(1, 3, H, W) float32 RGB of frame i on ``device``, nominally in [0, 1]."""

    def gray(self, i: int) -> np.ndarray:
        """(H, W) float32 luma-like image of frame i, for analysis."""

    def props(self, i: int) -> Mapping[str, Any]:
        """Frame i's props (upstream scene-change marks)."""


class CutFlags:
    """The cut test of one filter: ``scenes`` alone when given, else upstream props, then the
    contrast test with ``ratio`` (None: detection off). Sources and their order: docs/cuts.md."""

    def __init__(self, num_frames: int, scenes: Sequence[int] | None, ratio: float | None) -> None:
        self.num_frames = num_frames
        self.scenes = scenes
        self.ratio = ratio

    @property
    def detects(self) -> bool:
        """Whether the contrast test runs (no explicit scenes, detection on)."""
        return self.scenes is None and self.ratio is not None

    @property
    def reach(self) -> int:
        """Source frames a decision reads beyond its pair, on each side."""
        return CUT_REACH if self.detects else 0

    def test(self, job: "Job") -> CutTest:
        """is_cut(i) for pairs whose frames ``job`` holds, with :attr:`reach` frames around them:
        the decision reads that output's frames (thumbnails and props); the verdicts and the
        changes they compare are shared through the cache."""
        detector = None
        if self.detects:
            change = change_reader(job.thumbs, lambda a, make: job.remember(PairChange(a), make))
            detector = CutDetector(change, self.num_frames, self.ratio)
        decide = cut_test(self.scenes, job.props, detector)
        return lambda i: job.remember(CutVerdict(i), lambda: decide(i))


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
    """One output's access to the engine: what a mode and the cut test may ask. Every answer is
    cached under its key when it has one."""

    def __init__(self, renderer: Renderer, frames: SourceFrames) -> None:
        self._backend = renderer.backend
        self._canvas = renderer.canvas
        self._cache = renderer.cache
        self._map_slots = renderer.map_slots
        self._frames = frames

    def remember(self, key: CacheKey, compute: Callable[[], _V]) -> _V:
        """``compute()`` cached under ``key``: for what a mode derives from source frames."""
        return self._cache.get(key, compute)

    def gray(self, i: int) -> np.ndarray:
        """Source frame i as a luma-like image, for measuring (:meth:`SourceFrames.gray`)."""
        return self._frames.gray(i)

    def props(self, i: int) -> Mapping[str, Any]:
        """Source frame i's props."""
        return self._frames.props(i)

    def source(self, i: int) -> Tensor:
        """Source frame i as RGB on the model canvas in the compute dtype."""
        return self._cache.get(SourceCanvas(i), lambda: self._on_canvas(self._frames.rgb(i, self._backend.device)))

    def thumbs(self, i: int) -> CutThumbs:
        """The cut test's thumbnails of source frame i, made from the frame itself (never the
        canvas, so cuts do not depend on the model). The same conversion gives the frame's
        canvas, kept unless it is there already: each source frame is converted once."""

        def make() -> CutThumbs:
            rgb = self._frames.rgb(i, self._backend.device)
            self._cache.offer(SourceCanvas(i), lambda: self._on_canvas(rgb))
            return cut_thumbs(rgb)

        return self._cache.get(CutThumbnails(i), make)

    def _on_canvas(self, rgb: Tensor) -> Tensor:
        return self._canvas.pad(rgb.clamp(0, 1)).to(self._backend.dtype).contiguous()

    def map_slot(self) -> threading.BoundedSemaphore:
        """A context that holds one of the filter's :data:`MAP_SLOTS` while a frame-sized map is
        computed. Fetch every input first: waiting for the cache inside it could deadlock."""
        return self._map_slots

    def node(self, node: Node) -> Tensor:
        """Pyramid node L[l][i]: a source frame or MID of two nodes one level down."""
        if node.level == 0:
            return self.source(node.index)

        def make() -> Tensor:
            a = Node(node.level - 1, node.index)
            b = Node(node.level - 1, node.index + 1)
            return self._vfi(a, b, _HALF)

        return self._cache.get(PyramidNode(node), make)

    def _pair(self, a: Node, b: Node) -> Any:
        """The backend's pair state of two nodes; the nodes are fetched only when it is made."""

        def make() -> Any:
            return self._backend.pair(self.node(a), self.node(b))

        return self._cache.get(PairState(a, b), make) if self._backend.caches_pairs else make()

    def _flows(self, i: int) -> tuple[Tensor, Tensor]:
        """(flow F[i]→F[i+1] on F[i]'s flow grid, flow F[i+1]→F[i] on F[i+1]'s), float32."""
        return self._cache.get(PairFlows(i), lambda: self._backend.flows(self._pair(Node(0, i), Node(0, i + 1))))

    def flow_from(self, k: int, neighbour: int) -> Tensor:
        """The flow from source frame k to the frame beside it (k − 1 or k + 1), on k's flow grid."""
        return self._flows(k)[0] if neighbour > k else self._flows(neighbour)[1]

    def _vfi(self, a: Node, b: Node, t: Fraction | float) -> Tensor:
        """VFI(a, b, t) on the canvas; a is the earlier node."""
        return self._backend.synth(self._pair(a, b), float(t))

    def interp(self, plan: Interp) -> Tensor:
        """The output image of an Interp plan, cropped to the clip size (float32 RGB)."""
        out = self.node(plan.a) if plan.b is None else self._vfi(plan.a, plan.b, plan.t)
        return self.crop(out)

    def synth_from(self, k: int, neighbour: int, time: Tensor, near_side_ratio: float) -> tuple[Tensor, Tensor]:
        """Source frame k moved towards the frame beside it by a per-pixel ``time`` (on k's flow
        grid, :class:`TimeMap`): the picture on the canvas and that time on the output grid."""
        if neighbour > k:
            state = self._pair(Node(0, k), Node(0, neighbour))
        else:
            state = self._backend.swap(self._pair(Node(0, neighbour), Node(0, k)))
        flow = self.flow_from(k, neighbour)
        with torch.inference_mode():
            t_out = output_grid_time(time, flow)
        return self._backend.synth(state, TimeMap(time, t_out, near_side_ratio)), t_out

    def crop(self, canvas: Tensor) -> Tensor:
        """A canvas-sized picture cropped to the clip, float32."""
        return self._canvas.crop(canvas).float()
