"""Timing layer: exact rational time maps, scene-cut bookkeeping and per-output plans.

Pure arithmetic (``Fraction`` in, plain-data plans out) so it can be read and tested without a
GPU, torch or VapourSynth. For every output frame j each mode gives a request window (the source
frames to fetch, enough to decide the plan including its cut flags) and a plan (what to render).
Plans are pure functions of j and the cut flags inside the window: random access equals playback.
"""

from .drba import drba_center, drba_plan, drba_window
from .forward import ForwardRegion, forward_plan, forward_region, forward_window
from .plain import plain_plan, plain_window
from .plan import DrbaStep, Interp, Node, Plan
from .scenes import CutTest, cut_test_from_set, cuts_from_scene_starts, scene_bounds
from .timemap import (
    PHASES,
    as_fraction,
    clamped_source_time,
    floor_frac,
    last_output_before,
    output_length,
    phase_offset,
    source_time,
)

__all__ = [
    "PHASES",
    "as_fraction",
    "output_length",
    "source_time",
    "phase_offset",
    "floor_frac",
    "clamped_source_time",
    "last_output_before",
    "Node",
    "Interp",
    "DrbaStep",
    "Plan",
    "CutTest",
    "scene_bounds",
    "cuts_from_scene_starts",
    "cut_test_from_set",
    "plain_window",
    "plain_plan",
    "ForwardRegion",
    "forward_window",
    "forward_region",
    "forward_plan",
    "drba_center",
    "drba_window",
    "drba_plan",
]
