"""``drop``: the conventional keyframe method, as a baseline and for content on one cadence with
a still camera. A frame almost equal to the one before it is dropped; the kept frames are
interpolated at their own times.

``plan.py`` is the re-timing between kept frames, ``mode.py`` the duplicate test.
"""

from __future__ import annotations

from ..spec import ModeSpec, Option, fraction_below_one

SPEC = ModeSpec(
    "drop",
    "keyframes only: a frame almost equal to the one before is dropped and the kept frames are interpolated at their "
    "own times (the conventional method; fails on mixed cadences and pans)",
    ".mode:DropMode", __name__,
    (Option("drop_threshold", "drop's duplicate test: mean absolute luma difference (of 1.0) below which a frame "
                              "is a duplicate of the one before (default None: the measured threshold)",
            fraction_below_one("drop_threshold"), float),))
