"""Timing layer: exact rational time maps, scene-cut bookkeeping and per-output plans.

Pure arithmetic (``Fraction`` in, plain data out) so it can be read and tested without a GPU,
torch or VapourSynth. The modes' own plan arithmetic lives beside each mode
(``vsafi/modes/<name>/plan.py``) and builds on this: for every output frame j a mode gives a
request window and a plan, pure functions of j and the cut flags inside the window, so random
access equals playback (docs/timing.md).
"""

from .plan import Interp, Node
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
    "CutTest",
    "scene_bounds",
    "cuts_from_scene_starts",
    "cut_test_from_set",
]
