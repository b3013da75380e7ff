"""The user's cache folder for vsafi, where installed weights and compiled graphs are kept."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["user_cache_dir"]


def user_cache_dir(kind: str) -> Path:
    """``$XDG_CACHE_HOME/vsafi/<kind>``, default ``~/.cache/vsafi/<kind>`` (the XDG base
    directory rule)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vsafi" / kind
