"""The process-wide loaded models: one per (model, weights folder, device, dtype, scale, compile
policy, weight layout, batch size).

Models load once per process (mpv reloads the script on every seek) and are shared by all
filter instances with the same settings.
"""

from __future__ import annotations

import threading

import torch

from .. import weights as _weights
from ..models.backend import Backend, conv_layout
from ..models.batching import check_batch
from ..models.compiled import COMPILE_POLICIES, DEFAULT_COMPILE
from ..models.registry import SCALES, ModelSpec, model_spec
from ..names import entry
from .device import resolve_device, resolve_dtype, thread_count_independent_cpu

__all__ = ["check_backend_options", "get_backend"]

_loaded: dict[tuple, Backend] = {}
_loaded_lock = threading.Lock()


def check_backend_options(model: object, scale: object, compile: object, batch: object) -> ModelSpec:
    """The model's entry, once ``scale``, ``compile`` and ``batch`` are known to be values every
    backend takes; ValueError saying what is allowed otherwise."""
    spec = model_spec(model)
    entry(COMPILE_POLICIES, "compile", compile)
    check_batch(batch)
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))}, not {scale!r}")
    return spec


def get_backend(model: str, weights=None, device: str | torch.device | None = None, precision: str | None = None,
                scale: float = 1.0, compile: str = DEFAULT_COMPILE, batch: int = 1) -> Backend:
    """The shared backend for these settings, loading the model (weights sha256-checked) on first use.

    Compiled and eager backends are kept apart: a script may ask for both, and a compiled
    network cannot be turned back into its eager self under a running filter. So are batch
    sizes: a frame is the same at any one size, not across sizes (:mod:`..models.batching`).
    """
    spec = check_backend_options(model, scale, compile, batch)
    dev = resolve_device(device)
    dtype = resolve_dtype(precision, dev)
    if dev.type == "cpu":
        thread_count_independent_cpu()
    folder = _weights.checked_weights_dir(model, weights)
    key = (model, str(folder.resolve()), str(dev), dtype, scale, compile, conv_layout(dev), batch)
    with _loaded_lock:
        backend = _loaded.get(key)
        if backend is None:
            backend = spec.load(folder, dev, dtype, scale)
            if compile != "off":
                backend.compile(compile)
            backend.batch(batch)
            _loaded[key] = backend
    return backend
