"""The VapourSynth graph of ``interpolate``: one ``FrameEval`` over a blank clip of the output
length; output n asks the mode for its source window and returns ``ModifyFrame`` over one-frame
clips of exactly that window, whose callback decides the cuts, plans, renders and writes the
output's props: ``_SceneChangePrev/Next`` on the outputs either side of a cut, as upstream
filters expect; ``vsafi_time`` (source frames), ``vsafi_mode`` and ``vsafi_plan`` for what the
frame shows.

Nothing is precomputed per frame, so mpv's ``video_in`` (fps 0, ~134 M frames) costs nothing up
front.
"""

from __future__ import annotations

from fractions import Fraction
from functools import partial
from typing import Any, MutableMapping

import vapoursynth as vs

from .arguments import Settings, error
from .engine.cache import OnceCache
from .engine.render import CutFlags, Renderer
from .frames import FrameWindow, tensor_to_frame
from .models.backend import Backend
from .modes.base import Mode
from .timing.timemap import output_length, source_time

__all__ = ["build_graph", "write_props"]

core = vs.core

#: Source frames that outputs rendering at once on other threads may add beyond one window
#: (16 threads at 2.5x span about 7 source frames; a random seek adds one more window).
_SOURCES_IN_FLIGHT = 32
_SCENE_KEYS = ("_SceneChangePrev", "_SceneChangeNext")


def write_props(props: MutableMapping[str, Any], j: int, fps_out: Fraction, ratio: Fraction, phase: str,
                mode_name: str, plan: object, marks: tuple[bool, bool], extra: dict[str, Any]) -> None:
    """Output j's props over those copied from the source frame it shows."""
    for key, marked in zip(_SCENE_KEYS, marks):
        if key in props:
            del props[key]
        if marked:
            props[key] = 1
    props["_DurationNum"] = fps_out.denominator
    props["_DurationDen"] = fps_out.numerator
    props["_AbsoluteTime"] = float(Fraction(j) / fps_out)
    props["vsafi_time"] = float(source_time(j, ratio, phase))
    props["vsafi_mode"] = mode_name
    props["vsafi_plan"] = str(plan)
    props.update(extra)


def _out_of_memory_hint(exc: Exception) -> str:
    return " (lower cache_mb, use scale=0.5 or precision='fp16')" if "out of memory" in str(exc).lower() else ""


def build_graph(clip: vs.VideoNode, s: Settings, mode: Mode, backend: Backend) -> vs.VideoNode:
    """The output clip: ``clip`` at ``s.fps_out``, each frame rendered by ``mode`` on ``backend``."""
    n_src, ratio = s.num_frames, s.ratio
    n_out = output_length(n_src, ratio)
    cuts = CutFlags(n_src, s.scenes, s.scene_ratio)

    held_sources = mode.widest_request(n_out, cuts.reach) + _SOURCES_IN_FLIGHT
    entries = mode.entries_per_source() * held_sources
    renderer = Renderer(backend, s.fmt.height, s.fmt.width, OnceCache(s.cache_bytes, entries))
    blank = core.std.BlankClip(clip, length=n_out, fpsnum=s.fps_out.numerator, fpsden=s.fps_out.denominator,
                               keep=True)

    def render(n: int, f: vs.VideoFrame | list[vs.VideoFrame], window: range) -> vs.VideoFrame:
        frames = dict(zip(window, f if isinstance(f, list) else [f]))
        job = renderer.job(FrameWindow(frames, s.fmt))
        is_cut = cuts.test(job)
        try:
            plan = mode.plan(n, is_cut, job)
            if plan.copies is not None:
                out = frames[plan.copies].copy()
            else:
                out = tensor_to_frame(mode.render(plan, job), frames[mode.shown_frame(n)], s.fmt)
            write_props(out.props, n, s.fps_out, ratio, s.phase, mode.name, plan,
                        mode.scene_marks(n, n_out, is_cut), mode.frame_props(n, is_cut, job))
        except vs.Error:
            raise
        except Exception as exc:
            raise error(f"output frame {n}: {type(exc).__name__}: {exc}{_out_of_memory_hint(exc)}") from exc
        return out

    # One-frame nodes ``clip[i]``, shared by the outputs that need frame i, the newest
    # ``held_sources`` of them. Such a node keeps its frame in its own VapourSynth cache while it
    # lives: keeping one per source frame made memory grow with the clip (4 MiB per 1080p frame),
    # a new one per output decoded each source frame again for every output needing it (6 times
    # in plain at 2.5x). A node pushed out dies, with its frame, once its outputs are done.
    sources = OnceCache(1 << 62, held_sources)

    def plan_for(n: int) -> vs.VideoNode:
        window = mode.request(n, cuts.reach)
        nodes = [sources.get(i, partial(clip.__getitem__, i)) for i in window]
        return core.std.ModifyFrame(blank, nodes, partial(render, window=window))

    return core.std.FrameEval(blank, plan_for)
