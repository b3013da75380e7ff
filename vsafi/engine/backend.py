"""One model on one device at one precision, behind a two-call interface.

Every model is split into pair work (depends only on the two frames: GMFSS flows, metrics,
features) and time work (depends on t). The engine caches the pair work by the pair's key and
reuses it for every output frame between the same two images.

Models load once per process (mpv reloads the script on every seek) and are shared by all
filter instances with the same settings.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from .. import weights as _weights

__all__ = ["MODELS", "SCALES", "Backend", "RifeBackend", "GMFSSBackend", "get_backend", "resolve_device", "resolve_dtype"]

MODELS = ("rife", "gmfss", "gmfss_union")
SCALES = (0.25, 0.5, 1.0)

_registry: dict[tuple, "Backend"] = {}
_registry_lock = threading.Lock()


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cuda", "cpu"):
        raise ValueError(f"device must be 'cuda', 'cuda:N' or 'cpu', not {str(device)!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} requested but CUDA is not available; use device='cpu'")
    if dev.type == "cuda" and (dev.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"device {str(device)!r} does not exist; {torch.cuda.device_count()} CUDA device(s) found")
    return dev


def resolve_dtype(precision: str | None, device: torch.device) -> torch.dtype:
    if precision is None:
        return torch.float16 if device.type == "cuda" else torch.float32
    table = {"fp16": torch.float16, "half": torch.float16, "fp32": torch.float32, "float": torch.float32}
    if precision not in table:
        raise ValueError(f"precision must be 'fp16' or 'fp32', not {precision!r}")
    if table[precision] == torch.float16 and device.type == "cpu":
        raise ValueError("precision='fp16' needs a CUDA device; use precision='fp32' on the CPU")
    return table[precision]


@dataclass
class Canvas:
    """Frame size rounded up to the model's unit, and back.

    ``replicate``: pad right/bottom by repeating the edge, crop after (RIFE). ``resize``: bilinear
    resize to the canvas and back (GMFSS, as upstream). Chosen by measurement on synthetic
    pairs with ground truth (benchmarks/padding.py, 270x480, t = 1/2): RIFE replicate vs zero
    padding 35.83 vs 35.83 dB whole frame, 36.03 vs 35.81 dB in the border band; GMFSS resize vs
    replicate 25.96 vs 24.80 dB (base), 27.64 vs 26.62 dB (union). A frame already on the unit
    passes unchanged either way.
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


class Backend:
    """Base: holds the module, its device/dtype and a lock serialising forward passes."""

    name: str
    canvas_mode = "replicate"
    #: Whether ``pair`` does work worth caching (GMFSS); RIFE takes the two images directly.
    has_pair_work = False

    def __init__(self, module: torch.nn.Module, device: torch.device, dtype: torch.dtype, scale: float,
                 unit: int) -> None:
        self.module = module
        self.device = device
        self.dtype = dtype
        self.scale = scale
        self.unit = unit
        self.lock = threading.Lock()
        self.calls = 0

    def canvas(self, height: int, width: int) -> Canvas:
        return Canvas(height, width, self.unit, self.canvas_mode)

    def synth(self, a: torch.Tensor, b: torch.Tensor, state: Any, t: float | torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class RifeBackend(Backend):
    name = "rife"

    def __init__(self, module, device, dtype, scale) -> None:
        from ..models.rife import block_scales, canvas_unit

        super().__init__(module, device, dtype, scale, canvas_unit(scale))
        self.scales = block_scales(scale)

    def synth(self, a, b, state, t):
        if isinstance(t, torch.Tensor):
            t = t.to(self.dtype)
        with self.lock, torch.inference_mode():
            self.calls += 1
            return self.module(a, b, t, scales=self.scales)

    def flow(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Final (N, 4, H, W) IFNet flow of a pass at t = 1/2: mid->a (0-1) and mid->b (2-3)."""
        with self.lock, torch.inference_mode():
            self.calls += 1
            return self.module(a, b, 0.5, scales=self.scales, return_flow=True)[1]


class GMFSSBackend(Backend):
    canvas_mode = "resize"
    has_pair_work = True

    def __init__(self, name: str, module, device, dtype, scale) -> None:
        from ..models.gmfss import canvas_unit

        self.name = name
        super().__init__(module, device, dtype, scale, canvas_unit(scale))

    def pair(self, a, b):
        with self.lock, torch.inference_mode():
            return self.module.pair(a, b)

    def synth(self, a, b, state, t, t1=None, **extra):
        with self.lock, torch.inference_mode():
            self.calls += 1
            return self.module.synth(state, t, t1, **extra)


def _load(model: str, weights, device: torch.device, dtype: torch.dtype, scale: float) -> Backend:
    if model == "rife":
        from ..models.rife import load_ifnet

        module = load_ifnet(_weights.weight_path("rife.pkl", "rife", weights), device=device, dtype=dtype)
        return RifeBackend(module, device, dtype, scale)
    from ..models.gmfss import load_gmfss

    for name in _weights.MODEL_FILES[model]:
        _weights.weight_path(name, model, weights)
    folder = _weights.find_weights_dir(model, weights)
    kind = "base" if model == "gmfss" else "union"
    module = load_gmfss(folder, kind, scale=scale, device=device, dtype=dtype)
    return GMFSSBackend(model, module, device, dtype, scale)


def get_backend(model: str, weights=None, device=None, precision: str | None = None, scale: float = 1.0) -> Backend:
    """The process-wide backend for these settings, loading the model on first use."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, not {model!r}")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))}, not {scale!r}")
    dev = resolve_device(device)
    dtype = resolve_dtype(precision, dev)
    folder = _weights.find_weights_dir(model, weights)
    key = (model, str(folder.resolve()), str(dev), dtype, scale)
    with _registry_lock:
        backend = _registry.get(key)
        if backend is None:
            backend = _registry[key] = _load(model, weights, dev, dtype, scale)
    return backend
