"""Every mode, by name, once. Each mode lives in its own folder: ``plan.py`` (pure plan
arithmetic in Fractions, no torch or VapourSynth) beside ``mode.py`` (its engine half).

The filter's checks and messages, the CLI's choices and the README's mode table read
:data:`MODES`. Importing this package imports no mode: a mode's module (and torch) loads when
the mode is made.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..names import entry

if TYPE_CHECKING:
    from .base import Mode

__all__ = ["ModeSpec", "MODES", "DEFAULT_MODE", "mode_spec", "make_mode"]


@dataclass(frozen=True)
class ModeSpec:
    """A mode's entry: its class (``"module:Class"``, the module relative to ``vsafi.modes`` when
    it starts with a dot) and the keyword options of ``interpolate`` it takes beyond the common
    ones."""

    name: str
    summary: str
    loader: str
    options: tuple[str, ...] = ()

    def load(self) -> "type[Mode]":
        module, name = self.loader.split(":")
        return getattr(importlib.import_module(module, __package__), name)


MODES: dict[str, ModeSpec] = {
    spec.name: spec
    for spec in (
        ModeSpec("plain", "ordinary interpolation, holds stay holds (like vs-rife)", ".plain.mode:PlainMode"),
        ModeSpec("forward", "forward deduplication: each frame is replaced by motion-compensated midpoints of its "
                            "neighbours (N passes, N measured per 24-frame block from the cadence), so held drawings "
                            "become even motion", ".forward.mode:ForwardMode", ("n_forward",)),
        ModeSpec("drba", "distance-ratio adjuster: per-pixel timesteps smooth linear motion while the drawing's "
                         "rhythm is kept", ".drba.mode:DrbaMode"),
        ModeSpec("drop", "keyframes only: a frame almost equal to the one before is dropped and the kept frames "
                         "are interpolated at their own times (the conventional method; fails on mixed cadences "
                         "and pans)", ".drop.mode:DropMode", ("drop_threshold",)),
    )
}

DEFAULT_MODE = "forward"


def mode_spec(name: object) -> ModeSpec:
    """The entry of ``name``; ValueError listing the registered names otherwise."""
    return entry(MODES, "mode", name)


def make_mode(name: str, ratio: Fraction, n: int, phase: str, **options: Any) -> "Mode":
    """Mode ``name`` for a clip of ``n`` frames at ``ratio`` × its rate. ``options`` that are
    None are left at the mode's default; any other option the mode does not take is an error."""
    spec = mode_spec(name)
    given = {k: v for k, v in options.items() if v is not None}
    foreign = sorted(set(given) - set(spec.options))
    if foreign:
        takers = {k: [m.name for m in MODES.values() if k in m.options] for k in foreign}
        which = "; ".join(f"{k} applies to mode={'/'.join(v) or 'none'}" for k, v in takers.items())
        raise ValueError(f"{which}, not mode={name!r}")
    mode = spec.load()(ratio, n, phase, **given)
    mode.name = spec.name
    return mode
