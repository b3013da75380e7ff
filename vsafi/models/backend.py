"""The one interface every model implements, so that modes never ask which model they hold.

A model's work is split in two. ``pair(a, b)`` does everything that depends only on the two
frames and returns an opaque state (RIFE: the two images; GMFSS: flows, metrics, features).
``synth(state, t)`` renders one time from a state, as often as the outputs between that pair
need. The engine caches states by the pair's source indices when the backend says the pair work
is worth keeping (``caches_pairs``).

Time is a scalar (``t`` of frame 1, the same everywhere), or a :class:`TimeMap` when every pixel
moves by its own amount (DRBA). ``flows(state)`` gives the endpoint flows such a mode measures
distances with; ``swap(state)`` the same pair seen from its second frame, so a mode can always
put the frame it starts from first.

``compile(policy)`` puts compiled graphs in place of the backend's dense networks
(:mod:`.compiled`); ``batch(size)`` runs concurrent passes of one network together
(:mod:`.batching`). The modes never see either.

Implementations are plain classes (see :mod:`.rife.backend`, :mod:`.gmfss.backend`); this module
imports nothing from the engine or VapourSynth.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Literal, Protocol, TypeVar, runtime_checkable

import torch
from torch import Tensor

from .batching import Batcher
from .compiled import CompiledNetwork, compile_mode
from .ops.grids import endpoint_flows

__all__ = ["Backend", "TimeMap", "CanvasMode", "ModuleBackend", "conv_layout"]

_R = TypeVar("_R")

#: How a frame reaches the model's canvas: ``replicate`` pads right/bottom by repeating the edge
#: and crops after; ``resize`` scales bilinearly to the canvas and back.
CanvasMode = Literal["replicate", "resize"]


def conv_layout(device: torch.device) -> torch.memory_format:
    """Memory layout of the networks' weights: channels_last on CUDA, NCHW on the CPU;
    ``$VSAFI_CHANNELS_LAST`` = 1 or 0 chooses either anywhere (to measure one against the other).

    cuDNN runs fp16 convolutions on tensor cores in NHWC, and picks it when the weights are
    (docs/compile.md §6). Inputs stay NCHW; the layout changes rounding only. The CPU keeps
    NCHW, whose ATen convolutions give frames that do not depend on the thread count
    (:mod:`vsafi.engine.device`).
    """
    chosen = os.environ.get("VSAFI_CHANNELS_LAST")
    if chosen not in (None, "", "0", "1"):
        raise ValueError(f"VSAFI_CHANNELS_LAST must be 1 or 0, not {chosen!r}")
    wanted = device.type == "cuda" if not chosen else chosen == "1"
    return torch.channels_last if wanted else torch.contiguous_format


@dataclass(frozen=True)
class TimeMap:
    """Per-pixel time of one output, in [0, 1] from frame 0 towards frame 1.

    ``frame0`` (N, 1, h, w) lives on frame 0's flow grid (where a mode measures motion);
    ``output`` is the same time carried to the output grid, for models that sample the frames
    backwards from there. A backend that splats each side forward derives frame 1's side itself,
    since only it knows how its flows and metrics move a map between grids.

    ``near_side_ratio``: where one side's time exceeds this multiple of the other's, the output
    sits on the other side's frame. A model that warps each side separately may then show the
    near side's picture on both sides (see each backend for whether it does).
    """

    frame0: Tensor
    output: Tensor
    near_side_ratio: float | None = None


@runtime_checkable
class Backend(Protocol):
    """One loaded model on one device at one precision.

    ``unit``: canvas height and width must be multiples of it. ``calls`` counts network requests
    (synthesis and flow passes; a batched pass counts each request it serves), so tests can count
    model work without timing it.
    """

    name: str
    device: torch.device
    dtype: torch.dtype
    scale: float
    unit: int
    canvas_mode: CanvasMode
    caches_pairs: bool
    calls: int

    def pair(self, img0: Tensor, img1: Tensor) -> Any:
        """Time-independent work for two canvas images (N, 3, H, W) in the compute dtype."""

    def swap(self, state: Any) -> Any:
        """The same pair seen from frame 1: frame 1 becomes frame 0."""

    def flows(self, state: Any) -> tuple[Tensor, Tensor]:
        """(flow 0→1 on frame 0's flow grid, flow 1→0 on frame 1's), float32, in pixels of that
        grid; the grid may be smaller than the canvas (GMFSS: half size)."""

    def synth(self, state: Any, t: float | TimeMap) -> Tensor:
        """The frame at time ``t`` (float, or per-pixel :class:`TimeMap`) on the canvas."""

    def compile(self, policy: str) -> None:
        """Run the dense networks compiled under ``policy`` ('wait' or 'background')."""

    def batch(self, size: int) -> None:
        """Run concurrent requests for the same network and canvas as passes of ``size``."""

    def compiled_networks(self) -> list[CompiledNetwork]:
        """The compiled stand-ins :meth:`compile` put in place, each once (none before, or for
        a model with no network to compile): what a prebuild checks for failures."""


class ModuleBackend:
    """What every backend shares: the module, its device and dtype, and a lock.

    VapourSynth renders outputs on several threads; one forward pass at a time per model keeps
    peak memory at one pass. Work that is one call of one network goes through :meth:`_pass`,
    which :meth:`batch` can gather into batches; anything else through :meth:`_run`.
    """

    caches_pairs = False
    #: Dotted attribute paths, from the backend, of the networks :meth:`compile` replaces:
    #: the convolution stacks, never the splats (which stay eager, in float32).
    networks: tuple[str, ...] = ()

    def __init__(self, name: str, unit: int, canvas_mode: CanvasMode, module: torch.nn.Module,
                 device: torch.device, dtype: torch.dtype, scale: float) -> None:
        self.name = name
        self.unit = unit
        self.canvas_mode = canvas_mode
        self.module = module.to(memory_format=conv_layout(device))
        self.device = device
        self.dtype = dtype
        self.scale = scale
        self.lock = threading.Lock()
        self.calls = 0
        self._count_lock = threading.Lock()
        self.batcher: Batcher | None = None

    def _count(self) -> None:
        with self._count_lock:
            self.calls += 1

    def _run(self, fn: Callable[[], _R], count: bool = True) -> _R:
        """``fn()`` under the lock and inference mode; ``count`` adds one to ``calls``."""
        with self.lock, torch.inference_mode():
            if count:
                self._count()
            return fn()

    def _pass(self, net: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
        """One counted call ``net(*args, **kwargs)`` of a network whose tensor arguments have a
        batch dimension: alone under the lock, or through the :class:`.batching.Batcher` (which
        takes the same lock for each pass) once :meth:`batch` set one up."""
        if self.batcher is None:
            return self._run(lambda: net(*args, **kwargs))
        self._count()
        with torch.inference_mode():
            return self.batcher(net, *args, **kwargs)

    def batch(self, size: int) -> None:
        """Gather concurrent :meth:`_pass` calls into passes of ``size`` (1: one call a pass)."""
        self.batcher = Batcher(size, self.lock) if size > 1 else None

    def compile(self, policy: str) -> None:
        """Replace each of :attr:`networks` by a :class:`.compiled.CompiledNetwork` (once), in
        inductor's :func:`.compiled.compile_mode` for this device. A network reached by two
        paths (union's IFNet: its synthesis and DRBA's flows) gets one compiled stand-in."""
        mode = compile_mode(self.device)
        made: dict[int, CompiledNetwork] = {}
        with self.lock:
            for path in self.networks:
                *parents, leaf = path.split(".")
                owner: Any = self
                for name in parents:
                    owner = getattr(owner, name)
                net = getattr(owner, leaf)
                if net is None or isinstance(net, CompiledNetwork):
                    continue
                if id(net) not in made:
                    made[id(net)] = CompiledNetwork(net, f"{self.name} {type(net).__name__}", policy, mode)
                setattr(owner, leaf, made[id(net)])

    def compiled_networks(self) -> list[CompiledNetwork]:
        """The networks :meth:`compile` put in place, in :attr:`networks` order, each once."""
        found: list[CompiledNetwork] = []
        for path in self.networks:
            net: Any = self
            for name in path.split("."):
                net = getattr(net, name)
            if isinstance(net, CompiledNetwork) and all(net is not seen for seen in found):
                found.append(net)
        return found

    def _endpoint_flows(self, ifnet: Callable[..., Any], img0: Tensor, img1: Tensor,
                        scales: tuple[float, ...]) -> tuple[Tensor, Tensor]:
        """(flow 0→1 on img0's grid, flow 1→0 on img1's) from the final flow of one counted IFNet
        pass at t = ½ with block ``scales`` (:func:`.grids.endpoint_flows`); the splats that
        turn it into endpoint flows run outside the lock."""
        with torch.inference_mode():
            half = torch.full((img0.shape[0],), 0.5, dtype=img0.dtype, device=img0.device)
        flow = self._pass(ifnet, img0, img1, half, scales=scales, return_flow=True)[1]
        with torch.inference_mode():
            return endpoint_flows(flow)
