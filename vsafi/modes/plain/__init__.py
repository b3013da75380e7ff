"""``plain``: each output interpolates the two source frames around its time; holds stay holds."""

from __future__ import annotations

from ..spec import ModeSpec

SPEC = ModeSpec("plain", "ordinary interpolation, holds stay holds (like vs-rife)", ".mode:PlainMode", __name__)
