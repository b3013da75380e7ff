"""Looking a name up in a registry (modes, models), with the one message every caller shows."""

from __future__ import annotations

from typing import Mapping, TypeVar

__all__ = ["entry"]

_T = TypeVar("_T")


def entry(table: Mapping[str, _T], what: str, name: object) -> _T:
    """``table[name]``; else ValueError "<what> must be one of <names>, not <name>"."""
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"{what} must be one of {', '.join(table)}, not {name!r}")
    return table[name]
