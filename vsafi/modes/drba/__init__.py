"""``drba``: distance-ratio timesteps. Each output moves from its nearest source frame towards a
neighbour by a per-pixel time from the ratio of the two flows out of that frame, so linear
motion is smoothed while held drawings stay held (docs/drba.md).

``plan.py`` is the triplet addressing, ``ratio.py`` the per-pixel maps, ``mode.py`` the engine
half.
"""
