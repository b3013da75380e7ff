"""Every mode, by name, once. Each mode is one folder: its spec in ``__init__.py`` (name,
summary, options), ``plan.py`` (pure plan arithmetic in Fractions, no torch or VapourSynth) and
``mode.py`` (its half of the per-output work, through :class:`vsafi.engine.render.Job`).

Adding a mode is its folder and its line in :data:`PACKAGES`. The filter's signature, checks and
messages, the command line's flags and the README's mode table read :data:`MODES`. Importing
this package imports no mode: a mode's ``mode.py`` (and torch) loads when the mode is made.
"""

from __future__ import annotations

import importlib
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Mapping

from ..names import entry
from .spec import ModeSpec, Option

if TYPE_CHECKING:
    from .base import Mode

__all__ = ["ModeSpec", "Option", "MODES", "DEFAULT_MODE", "mode_spec", "mode_options", "check_mode_options",
           "make_mode"]

#: The modes' packages, relative to this one, in the order the docs and the command line list them.
PACKAGES = (".plain", ".forward", ".drba", ".drop")

MODES: dict[str, ModeSpec] = {
    spec.name: spec for spec in (importlib.import_module(p, __name__).SPEC for p in PACKAGES)
}

DEFAULT_MODE = "forward"


def mode_spec(name: object) -> ModeSpec:
    """The entry of ``name``; ValueError listing the registered names otherwise."""
    return entry(MODES, "mode", name)


def mode_options() -> dict[str, Option]:
    """Every mode's options by name (a name two modes share must mean the same there)."""
    return {o.name: o for spec in MODES.values() for o in spec.options}


def check_mode_options(name: object, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of mode ``name`` that were given (not None), checked; ValueError naming the
    mode an option belongs to, or what a value may be."""
    return _checked(mode_spec(name), options)


def _checked(spec: ModeSpec, options: Mapping[str, Any]) -> dict[str, Any]:
    given = {k: v for k, v in options.items() if v is not None}
    known = mode_options()
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"unknown option {', '.join(unknown)}; the modes' options are {', '.join(known) or 'none'}")
    own = {o.name: o for o in spec.options}
    foreign = sorted(set(given) - set(own))
    if foreign:
        takers = {k: [m.name for m in MODES.values() if any(o.name == k for o in m.options)] for k in foreign}
        raise ValueError("; ".join(f"{k} applies to mode={'/'.join(v)}" for k, v in takers.items())
                         + f", not mode={spec.name!r}")
    return {k: own[k].check(v) for k, v in given.items()}


def make_mode(name: str, ratio: Fraction, n: int, phase: str, **options: Any) -> "Mode":
    """Mode ``name`` for a clip of ``n`` frames at ``ratio`` × its rate. ``options`` that are
    None are left at the mode's default; others are checked by :func:`check_mode_options`."""
    spec = mode_spec(name)
    mode = spec.load()(ratio, n, phase, **_checked(spec, options))
    mode.name = spec.name
    return mode
