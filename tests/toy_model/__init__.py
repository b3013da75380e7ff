"""A toy model, registered only by tests: a crossfade of the two frames with no motion at all.
It is what adding a model takes (this folder and one registry entry), and it makes the engine's
time plumbing checkable against plain arithmetic."""

from .backend import Crossfade, load

__all__ = ["Crossfade", "load"]
