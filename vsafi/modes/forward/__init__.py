"""``forward``: forward deduplication, a pyramid of midpoints that turns held drawings into even
motion, with the number of passes N measured per block of the scene (docs/forward.md).

``plan.py`` is the pyramid walk, ``blocks.py`` auto N per block, ``cadence.py`` the hold-period
measurement, ``mode.py`` the engine half.
"""
