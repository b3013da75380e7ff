"""``forward``: forward deduplication, a pyramid of midpoints that turns held drawings into even
motion, with the number of passes N measured per block of the scene (docs/forward.md).

``plan.py`` is the pyramid walk, ``blocks.py`` auto N per block, ``cadence.py`` the hold-period
measurement, ``mode.py`` the engine half.
"""

from __future__ import annotations

from ..spec import ModeSpec, Option, whole_number

SPEC = ModeSpec(
    "forward",
    "forward deduplication: each frame is replaced by motion-compensated midpoints of its neighbours (N passes, "
    "N measured per 24-frame block from the cadence), so held drawings become even motion",
    ".mode:ForwardMode", __name__,
    (Option("n_forward", "forward's midpoint passes N (default None: measured per block from the cadence)",
            whole_number("n_forward"), int, metavar="N", short="-nf"),))
