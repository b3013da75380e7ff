"""The props of an output frame: timing, scene-change marks and what the mode did.

``_SceneChangePrev/Next`` mark the outputs on either side of a cut, as upstream filters expect;
``vsafi_time`` (source frames), ``vsafi_mode`` and ``vsafi_plan`` say what the frame shows.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, MutableMapping

from .modes.base import Mode
from .timing.scenes import CutTest
from .timing.timemap import source_time

__all__ = ["scene_change_marks", "write_props"]

_SCENE_KEYS = ("_SceneChangePrev", "_SceneChangeNext")


def scene_change_marks(mode: Mode, j: int, n_out: int, is_cut: CutTest) -> tuple[bool, bool]:
    """(prev, next): a cut lies between the frames shown by outputs j − 1 and j, or j and j + 1."""
    k = mode.shown_frame(j)
    prev = j > 0 and any(is_cut(i) for i in range(mode.shown_frame(j - 1), k))
    nxt = j + 1 < n_out and any(is_cut(i) for i in range(k, mode.shown_frame(j + 1)))
    return prev, nxt


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
