"""The VapourSynth graph of ``interpolate``: one ``FrameEval`` over a blank clip of the output
length; output n asks the mode for its source window and returns ``ModifyFrame`` over one-frame
clips of exactly that window, whose callback decides the cuts, plans and renders.

Nothing is precomputed per frame, so mpv's ``video_in`` (fps 0, ~134 M frames) costs nothing up
front.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import partial
from typing import Callable

import vapoursynth as vs

from .arguments import Settings, error
from .engine.cache import OnceCache
from .engine.cut_flags import CutFlags
from .engine.keys import entries_per_source
from .engine.render import Renderer
from .frames import FrameWindow, tensor_to_frame
from .models.backend import Backend
from .modes.base import Mode
from .props import scene_change_marks, write_props
from .timing.timemap import output_length

__all__ = ["build_graph"]

core = vs.core

#: Source frames that outputs rendering at once on other threads may add beyond one window
#: (16 threads at 2.5x span about 7 source frames; a random seek adds one more window).
_SOURCES_IN_FLIGHT = 32


def _widest_window(request: Callable[[int], range], n_out: int, ratio: Fraction, probe: int) -> int:
    """Source frames in the widest request of the outputs over the first ``probe`` source
    frames, before the mode has measured anything (its windows are then the widest there are)."""
    return max(len(request(j)) for j in range(min(n_out, math.ceil(probe * ratio))))


def _out_of_memory_hint(exc: Exception) -> str:
    return " (lower cache_mb, use scale=0.5 or precision='fp16')" if "out of memory" in str(exc).lower() else ""


def build_graph(clip: vs.VideoNode, s: Settings, mode: Mode, backend: Backend) -> vs.VideoNode:
    """The output clip: ``clip`` at ``s.fps_out``, each frame rendered by ``mode`` on ``backend``."""
    n_src, ratio = s.num_frames, s.ratio
    n_out = output_length(n_src, ratio)
    cuts = CutFlags(n_src, s.scenes, s.scene_ratio)

    def request(j: int) -> range:
        """Source frames output j needs: the mode's window and what its cut decisions read."""
        w = mode.window(j)
        return range(max(0, w.start - cuts.reach), min(n_src, w.stop + cuts.reach))

    held_sources = _widest_window(request, n_out, ratio, mode.span_probe) + _SOURCES_IN_FLIGHT
    per_source = entries_per_source(mode.levels, mode.cache_keys)
    renderer = Renderer(backend, s.fmt.height, s.fmt.width, OnceCache(s.cache_bytes, per_source * held_sources))
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
                        scene_change_marks(mode, n, n_out, is_cut), mode.frame_props(n, is_cut, job))
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
        window = request(n)
        nodes = [sources.get(i, partial(clip.__getitem__, i)) for i in window]
        return core.std.ModifyFrame(blank, nodes, partial(render, window=window))

    return core.std.FrameEval(blank, plan_for)
