"""``drop``: the conventional keyframe method, as a baseline and for content on one cadence with
a still camera. A frame almost equal to the one before it is dropped; the kept frames are
interpolated at their own times.

``plan.py`` is the re-timing between kept frames, ``mode.py`` the duplicate test.
"""
