"""``interpolate``, the VapourSynth entry point: arguments checked, mode and model made, graph built.

The VapourSynth-facing layer is this module with :mod:`.arguments`, :mod:`.graph`,
:mod:`.props` and :mod:`.frames`; below it nothing knows VapourSynth (docs/architecture.md).
"""

from __future__ import annotations

import inspect
from typing import Any, Sequence

import vapoursynth as vs

from .arguments import UNSET, Settings, check_arguments, error
from .cuts import DEFAULT_RATIO
from . import weights as _weights
from .engine.backends import get_backend
from .graph import build_graph
from .hostmem import hold_mmap_threshold
from .models.backend import Backend
from .models.compiled import COMPILE_POLICIES, DEFAULT_COMPILE
from .models.registry import DEFAULT_MODEL, MODELS
from .modes import DEFAULT_MODE, MODES, make_mode, mode_options
from .modes.base import Mode
from .progress import say

__all__ = ["interpolate", "preflight"]


def _mode_and_model(s: Settings) -> tuple[Mode, Backend]:
    try:
        mode = make_mode(s.mode, s.ratio, s.num_frames, s.phase, **s.options)
        backend = get_backend(s.model, s.weights, s.device, s.precision, s.scale, s.compile, s.batch)
    except (ValueError, FileNotFoundError) as exc:
        raise error(str(exc).removeprefix("vsafi: ")) from exc
    except Exception as exc:
        raise error(f"could not load {s.model} on {s.device or 'the default device'}: "
                    f"{type(exc).__name__}: {exc}") from exc
    return mode, backend


def interpolate(
    clip: vs.VideoNode,
    *,
    fps=None,
    factor=None,
    mode: str = DEFAULT_MODE,
    model: str = DEFAULT_MODEL,
    scene_ratio: float | None = DEFAULT_RATIO,
    scenes: Sequence[int] | None = None,
    scale: float = 1.0,
    src_fps=None,
    device: str | None = None,
    precision: str | None = None,
    compile: str = DEFAULT_COMPILE,
    batch: int = 1,
    phase: str = "standard",
    cache_mb: int | None = None,
    weights: str | None = None,
    scene_threshold: object = UNSET,
    **mode_options: Any,
) -> vs.VideoNode:
    """Interpolate ``clip`` to a higher frame rate.

    :param fps: output rate (Fraction, (num, den), int or float; 59.94 snaps to 60000/1001).
    :param factor: output rate as a multiple of the source rate (int or Fraction). Exactly one of
        ``fps`` / ``factor``; the output rate must exceed the source rate.
    :param mode: {modes}
    :param model: {models}
    {mode_options}
    :param scene_ratio: a pair is a cut where a measure of its change (structure, new content)
        is at least this many times the same measure around it (lower finds more cuts; None
        disables detection).
    :param scenes: first frame of each new scene; overrides detection and props.
    :param scale: flow resolution (0.25, 0.5 or 1.0; 0.5 suits 4K).
    :param src_fps: source rate for clips whose fps is 0 (mpv: ``container_fps``).
    :param device: "cuda", "cuda:N" or "cpu" (default: cuda when available).
    :param precision: "fp16" (CUDA default) or "fp32" (CPU default); warps always run in fp32.
    :param compile: {compile}
    :param batch: network passes of this many requests at once (1: none). On a GPU, with many
        frames requested together (vspipe, mpv), a pass over a batch costs less per frame; a
        lone request is padded to the full batch, so every frame is the same whatever shares its
        pass. RIFE's passes and every model's DRBA flow pass; GMFSS's own networks run alone.
    :param phase: "standard" (output 0 = source 0) or "centered".
    :param cache_mb: memory bound of the per-clip tensor cache, in MiB.
    :param weights: folder holding the weight files (default: see ``vsafi.weights``).
    :param scene_threshold: replaced by ``scene_ratio``; only None (no detection) is accepted.
    """
    s = check_arguments(clip, fps=fps, factor=factor, mode=mode, model=model, scene_ratio=scene_ratio,
                        scenes=scenes, scale=scale, src_fps=src_fps, device=device, precision=precision,
                        compile=compile, batch=batch, phase=phase, cache_mb=cache_mb, weights=weights,
                        scene_threshold=scene_threshold, mode_options=mode_options)
    hold_mmap_threshold()
    strategy, backend = _mode_and_model(s)
    if s.batch > vs.core.num_threads:
        # Model calls run on VapourSynth's worker threads, so no more can wait for one pass.
        say(f"batch={s.batch} with {vs.core.num_threads} VapourSynth threads: at most {vs.core.num_threads} frames "
            f"render at once, so every pass is partly padding; raise core.num_threads (and vspipe -r, mpv's "
            f"concurrent-frames) to {s.batch} or more, or lower batch")
    return build_graph(clip, s, strategy, backend)


def preflight(clip: vs.VideoNode, **kwargs: Any) -> Settings:
    """``interpolate``'s checks for these arguments without loading the model: the same errors,
    and the output's length and rate. For a driver that hands the frames to other processes."""
    bound = inspect.signature(interpolate).bind(clip, **kwargs)
    bound.apply_defaults()
    s = check_arguments(**bound.arguments)
    try:
        make_mode(s.mode, s.ratio, s.num_frames, s.phase, **s.options)
        _weights.find_weights_dir(s.model, s.weights)
    except (ValueError, FileNotFoundError) as exc:
        raise error(str(exc).removeprefix("vsafi: ")) from exc
    return s


def _choices(table: dict, default: str) -> str:
    return "; ".join(f"``{name}``{' (default)' if name == default else ''}: {spec.summary}"
                     for name, spec in table.items())


def _option_params() -> str:
    return "\n    ".join(f":param {o.name}: {o.help}." for o in mode_options().values())


interpolate.__doc__ = (interpolate.__doc__ or "").replace("{modes}", _choices(MODES, DEFAULT_MODE)).replace(
    "{mode_options}", _option_params()).replace(
    "{models}", _choices(MODELS, DEFAULT_MODEL)).replace(
    "{compile}", "; ".join(f"``{name}``{' (default)' if name == DEFAULT_COMPILE else ''}: {summary}"
                           for name, summary in COMPILE_POLICIES.items()))
