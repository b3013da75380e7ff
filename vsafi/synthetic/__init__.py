"""Synthetic anime with known motion: the fixtures of the tests, the demo's clip, the scenes
prebuild compiles on and the benchmarks' ground truth. ``scenes`` builds clips of cel-shaded
actors over panning backgrounds, ``paint`` draws them, ``shots`` makes styled shots for cut
detection."""

from .scenes import *  # noqa: F401,F403
from .scenes import __all__
