"""The VapourSynth filter: the only module that knows VapourSynth nodes.

Graph per output frame n: ``FrameEval`` asks the mode for the source window n needs and returns
``ModifyFrame`` over one-frame clips ``src[i]`` of exactly that window; the callback decides the
cuts inside the window, builds the plan and renders it. Nothing is precomputed per frame, so
mpv's ``video_in`` (fps 0, ~134 M frames) costs nothing up front.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import partial
from typing import Callable, Sequence

import vapoursynth as vs

from .engine.backend import get_backend
from .engine.cache import OnceCache
from .engine.convert import FrameFormat, tensor_to_frame
from .engine.render import Frames, Renderer
from .engine.scenecut import CUT_REACH, DEFAULT_RATIO, CutDetector, cut_test
from .engine.modes import BLOCK, make_mode
from .hostmem import hold_mmap_threshold
from .timing.plan import Interp
from .timing.timemap import PHASES, as_fraction, output_length, source_time

__all__ = ["interpolate"]

core = vs.core

_DEFAULT_CACHE_MB = 2048
_UNSET = object()
#: Cached values per source frame at most: source tensor, thumbnail, analysis image, cut-test
#: difference, cut flag, pair state, DRBA flow and ratio map, and a pyramid node per forward
#: level (3) → 11, rounded up.
_ENTRIES_PER_SOURCE = 16
#: Source frames that outputs rendering at once on other threads may add beyond one window
#: (16 threads at 2.5x span about 7 source frames; a random seek adds one more window).
_SOURCES_IN_FLIGHT = 32
#: Source frames whose outputs' windows are measured for the widest one: three cadence blocks.
_SPAN_PROBE_SOURCES = 3 * BLOCK


def _widest_window(request: Callable[[int], range], n_out: int, ratio: Fraction) -> int:
    """Source frames in the widest request of the outputs over the first source frames, before
    any cadence block is measured (then forward's windows are the widest there are: one that
    straddles a block boundary measures both blocks)."""
    return max(len(request(j)) for j in range(min(n_out, math.ceil(_SPAN_PROBE_SOURCES * ratio))))


def _scene_ratio(ratio, threshold) -> float | None:
    """``scene_ratio`` checked; ``scene_threshold`` (the old pairwise SSIM test) mapped or refused."""
    if threshold is not _UNSET:
        if threshold is not None:
            raise _err(f"scene_threshold={threshold!r}: the SSIM threshold is gone (it missed cuts between shots "
                       f"of one layout and split fast pans); cuts are now found by contrast with the motion around "
                       f"them. Tune with scene_ratio= (default {DEFAULT_RATIO}, lower finds more cuts), list cuts "
                       f"with scenes=[...], or pass scene_ratio=None to turn detection off")
        return None
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio >= 1):
        raise _err(f"scene_ratio must be a number >= 1 (or None to turn detection off), not {ratio!r}")
    return None if ratio is None else float(ratio)


def _err(msg: str) -> vs.Error:
    return vs.Error(f"interpolate: {msg}")


def _rate(value, what: str) -> Fraction:
    try:
        r = as_fraction(value)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise _err(f"{what}={value!r} is not a rate; pass a Fraction, (num, den), int or float") from exc
    if r <= 0:
        raise _err(f"{what} must be positive, not {value!r}")
    return r


def _check_clip(clip) -> FrameFormat:
    if not isinstance(clip, vs.VideoNode):
        raise _err("clip must be a vs.VideoNode")
    if clip.format is None or clip.width == 0 or clip.height == 0:
        raise _err("clip must have a constant format and size; add resize/crop first")
    f = clip.format
    if f.color_family not in (vs.YUV, vs.RGB):
        raise _err(f"only YUV and RGB clips are supported, not {f.name}; convert with core.resize first")
    if f.sample_type == vs.INTEGER and not 8 <= f.bits_per_sample <= 16:
        raise _err(f"integer formats must be 8–16 bit, not {f.bits_per_sample}")
    if clip.num_frames < 2:
        raise _err(f"clip has {clip.num_frames} frame(s); interpolation needs at least 2")
    return FrameFormat.of(clip)


def _check_scenes(scenes: Sequence[int], num_frames: int) -> list[int]:
    try:
        out = sorted({int(s) for s in scenes})
    except (TypeError, ValueError) as exc:
        raise _err("scenes must be a list of frame numbers (first frame of each new scene)") from exc
    bad = [s for s in out if not 0 <= s < num_frames]
    if bad:
        raise _err(f"scenes has frame numbers outside the clip (0..{num_frames - 1}): {bad[:5]}")
    return out


def interpolate(
    clip: vs.VideoNode,
    *,
    fps=None,
    factor=None,
    mode: str = "forward",
    model: str = "rife",
    n_forward: int | None = None,
    scene_ratio: float | None = DEFAULT_RATIO,
    scenes: Sequence[int] | None = None,
    scale: float = 1.0,
    src_fps=None,
    device: str | None = None,
    precision: str | None = None,
    phase: str = "standard",
    cache_mb: int | None = None,
    weights: str | None = None,
    scene_threshold: object = _UNSET,
) -> vs.VideoNode:
    """Interpolate ``clip`` to a higher frame rate.

    :param fps: output rate (Fraction, (num, den), int or float; 59.94 snaps to 60000/1001).
    :param factor: output rate as a multiple of the source rate (int or Fraction). Exactly one of
        ``fps`` / ``factor``; the output rate must exceed the source rate.
    :param mode: ``plain`` (holds stay holds), ``forward`` (forward dedup: smooths drawings held
        on twos/threes) or ``drba`` (distance-ratio adjuster: smooths linear motion, keeps rhythm).
    :param model: ``rife``, ``gmfss`` or ``gmfss_union``.
    :param n_forward: midpoint passes for ``forward``; None measures the cadence per scene.
    :param scene_ratio: a pair is a cut where a measure of its change (structure, new content)
        is at least this many times the same measure around it (lower finds more cuts; None
        disables detection).
    :param scenes: first frame of each new scene; overrides detection and props.
    :param scale: flow resolution (0.25, 0.5 or 1.0; 0.5 suits 4K).
    :param src_fps: source rate for clips whose fps is 0 (mpv: ``container_fps``).
    :param device: "cuda", "cuda:N" or "cpu" (default: cuda when available).
    :param precision: "fp16" (CUDA default) or "fp32" (CPU default); warps always run in fp32.
    :param phase: "standard" (output 0 = source 0) or "centered".
    :param cache_mb: memory bound of the per-clip tensor cache, in MiB.
    :param weights: folder holding the weight files (default: see ``vsafi.weights``).
    :param scene_threshold: replaced by ``scene_ratio``; only None (no detection) is accepted.
    """
    fmt = _check_clip(clip)
    hold_mmap_threshold()
    if (fps is None) == (factor is None):
        raise _err("pass exactly one of fps= or factor=")
    if src_fps is not None:
        fps_src = _rate(src_fps, "src_fps")
    elif clip.fps.numerator == 0:
        raise _err("clip has fps 0 (variable or unknown rate); pass src_fps= (in mpv: container_fps)")
    else:
        fps_src = Fraction(clip.fps.numerator, clip.fps.denominator)
    if fps is not None:
        fps_out = _rate(fps, "fps")
    else:
        fps_out = fps_src * _rate(factor, "factor")
    if fps_out <= fps_src:
        raise _err(f"fps must be higher than the clip's ({fps_src}); got {fps_out}")
    if phase not in PHASES:
        raise _err(f"phase must be one of {', '.join(PHASES)}, not {phase!r}")
    if n_forward is not None and (isinstance(n_forward, bool) or not isinstance(n_forward, int) or n_forward < 0):
        raise _err(f"n_forward must be None or an integer >= 0, not {n_forward!r}")
    scene_ratio = _scene_ratio(scene_ratio, scene_threshold)
    if cache_mb is not None and (isinstance(cache_mb, bool) or not isinstance(cache_mb, (int, float))
                                 or not cache_mb > 0):
        raise _err(f"cache_mb must be a positive number of MiB, not {cache_mb!r}")
    if scenes is not None:
        scenes = _check_scenes(scenes, clip.num_frames)
    ratio = fps_out / fps_src
    n_src = clip.num_frames
    try:
        strategy = make_mode(mode, ratio, n_src, phase, n_forward)
        backend = get_backend(model, weights, device, precision, scale)
    except (ValueError, FileNotFoundError) as exc:
        raise _err(str(exc).removeprefix("vsafi: ")) from exc
    except Exception as exc:
        raise _err(f"could not load {model} on {device or 'the default device'}: {type(exc).__name__}: {exc}") from exc

    n_out = output_length(n_src, ratio)
    reach = CUT_REACH if scenes is None and scene_ratio is not None else 0

    def request(j: int) -> range:
        """Source frames output j needs: the mode's window and what its cut decisions read."""
        w = strategy.window(j)
        return range(max(0, w.start - reach), min(n_src, w.stop + reach))

    held_sources = _widest_window(request, n_out, ratio) + _SOURCES_IN_FLIGHT
    cache = OnceCache(int((cache_mb or _DEFAULT_CACHE_MB) * (1 << 20)), _ENTRIES_PER_SOURCE * held_sources)
    renderer = Renderer(backend, fmt, cache)
    blank = core.std.BlankClip(clip, length=n_out, fpsnum=fps_out.numerator, fpsden=fps_out.denominator, keep=True)
    dur_num, dur_den = fps_out.denominator, fps_out.numerator

    def decider(frames: Frames) -> Callable[[int], bool]:
        detector = None if scene_ratio is None else CutDetector(
            lambda a, b: renderer.change(a, b, frames), n_src, scene_ratio)
        decide = cut_test(scenes, lambda i: frames[i].props, detector)
        return lambda i: renderer.cut(i, decide)

    def scene_change_props(j: int, is_cut: Callable[[int], bool]) -> tuple[bool, bool]:
        k = strategy.shown_frame(j)
        prev = j > 0 and any(is_cut(i) for i in range(strategy.shown_frame(j - 1), k))
        nxt = j + 1 < n_out and any(is_cut(i) for i in range(k, strategy.shown_frame(j + 1)))
        return prev, nxt

    def render(n: int, f, window: range) -> vs.VideoFrame:
        try:
            return render_frame(n, f, window)
        except vs.Error:
            raise
        except Exception as exc:
            hint = ""
            if "out of memory" in str(exc).lower():
                hint = " (lower cache_mb, use scale=0.5 or precision='fp16')"
            raise _err(f"output frame {n}: {type(exc).__name__}: {exc}{hint}") from exc

    def render_frame(n: int, f, window: range) -> vs.VideoFrame:
        flist = f if isinstance(f, list) else [f]
        frames = dict(zip(window, flist))
        is_cut = decider(frames)
        plan = strategy.plan(n, is_cut, renderer, frames)
        if isinstance(plan, Interp) and plan.b is None and plan.a.level == 0:
            out = frames[plan.a.index].copy()
        else:
            rgb = strategy.render(plan, renderer, frames)
            out = tensor_to_frame(rgb, frames[strategy.shown_frame(n)], fmt)
        props = out.props
        for key in ("_SceneChangePrev", "_SceneChangeNext"):
            if key in props:
                del props[key]
        prev, nxt = scene_change_props(n, is_cut)
        if prev:
            props["_SceneChangePrev"] = 1
        if nxt:
            props["_SceneChangeNext"] = 1
        props["_DurationNum"] = dur_num
        props["_DurationDen"] = dur_den
        props["_AbsoluteTime"] = float(Fraction(n) / fps_out)
        props["vsafi_time"] = float(source_time(n, ratio, phase))
        props["vsafi_mode"] = mode
        props["vsafi_plan"] = str(plan)
        props.update(strategy.frame_props(n, is_cut, renderer, frames))
        return out

    # One-frame nodes ``clip[i]``, shared by the outputs that need frame i, the newest
    # ``held_sources`` of them. Such a node keeps its frame in its own VapourSynth cache while it
    # lives: keeping one per source frame made memory grow with the clip (4 MiB per 1080p frame),
    # a new one per output decoded each source frame again for every output needing it (6 times
    # in plain at 2.5x). A node pushed out dies, with its frame, once its outputs are done.
    sources = OnceCache(1 << 62, held_sources)

    def plan_for(n: int) -> vs.VideoNode:
        window = request(n)
        nodes = [sources.get(("one", i), partial(clip.__getitem__, i)) for i in window]
        return core.std.ModifyFrame(blank, nodes, partial(render, window=window))

    return core.std.FrameEval(blank, plan_for)
