"""``drba``: distance-ratio timesteps. Each output moves from its nearest source frame towards a
neighbour by a per-pixel time from the ratio of the two flows out of that frame, so linear
motion is smoothed while held drawings stay held (docs/drba.md).

``plan.py`` is the triplet addressing, ``ratio.py`` the per-pixel maps, ``mode.py`` the engine
half.
"""

from __future__ import annotations

from ..spec import ModeSpec

SPEC = ModeSpec("drba", "distance-ratio adjuster: per-pixel timesteps smooth linear motion while the drawing's rhythm "
                        "is kept", ".mode:DrbaMode", __name__)
