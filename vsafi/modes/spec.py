"""What a mode declares about itself, once: its name, summary, options and where its engine half
lives. The filter's checks, its signature and docstring, and the command line read these.

Pure: no torch, no VapourSynth; importing a mode's spec never loads the mode.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .base import Mode

__all__ = ["Option", "ModeSpec", "whole_number", "fraction_below_one"]


@dataclass(frozen=True)
class Option:
    """One keyword of ``interpolate`` that a mode takes beyond the common ones.

    ``check(value)`` returns the value as the mode takes it, or raises ValueError with the whole
    message (naming the option and what is allowed). None always means the mode's default and is
    never checked. ``parse`` turns command-line text into a value; ``short`` is an extra flag.
    """

    name: str
    help: str
    check: Callable[[Any], Any]
    parse: Callable[[str], Any]
    metavar: str = "X"
    short: str | None = None

    @property
    def flags(self) -> tuple[str, ...]:
        """Its command-line flags: ``--name-with-dashes`` and the short one."""
        return (f"--{self.name.replace('_', '-')}",) + ((self.short,) if self.short else ())


@dataclass(frozen=True)
class ModeSpec:
    """A mode's entry: its class (``"module:Class"``, relative to the spec's own package when it
    starts with a dot) and its :class:`Option` s."""

    name: str
    summary: str
    loader: str
    package: str
    options: tuple[Option, ...] = ()

    def load(self) -> "type[Mode]":
        module, name = self.loader.split(":")
        return getattr(importlib.import_module(module, self.package), name)


def whole_number(name: str) -> Callable[[Any], int]:
    """A check for an integer option >= 0."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be None or an integer >= 0, not {value!r}")
        return value

    return check


def fraction_below_one(name: str) -> Callable[[Any], float]:
    """A check for a number in [0, 1)."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise ValueError(f"{name} must be None or a number in [0, 1), not {value!r}")
        return float(value)

    return check
