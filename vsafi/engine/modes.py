"""The three control modes as strategies: which source window an output needs, its plan, its image.

The timing layer decides *what* an output shows (pure plans); a mode binds that to the engine:
it widens the window so scene-change props can be set, and renders plans the renderer cannot
render alone (DRBA's per-pixel timesteps).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import torch

from ..timing.forward import forward_plan, forward_window
from ..timing.plain import plain_plan, plain_window
from ..timing.plan import Interp, Plan
from ..timing.timemap import clamped_source_time, floor_frac
from .render import Frames, Renderer

__all__ = ["MODES", "Mode", "make_mode"]

MODES = ("plain", "forward", "drba")

#: Default midpoint passes of ``forward`` when the cadence is not measured.
DEFAULT_N_FORWARD = 2


class Mode:
    """Common timing of all modes: the source frame shown by output j and the props window."""

    name = ""

    def __init__(self, ratio: Fraction, n: int, phase: str) -> None:
        self.ratio = ratio
        self.n = n
        self.phase = phase

    def shown_frame(self, j: int) -> int:
        """floor of output j's (clamped) source time: the frame whose props and scene it carries."""
        return floor_frac(clamped_source_time(j, self.ratio, self.n, self.phase))[0]

    def core_window(self, j: int) -> range:
        raise NotImplementedError

    def window(self, j: int) -> range:
        """Source frames output j requests: the plan's window plus its neighbours' shown frames."""
        w = self.core_window(j)
        lo = min(w.start, self.shown_frame(max(j - 1, 0)))
        hi = max(w.stop - 1, min(self.shown_frame(j) + 1, self.n - 1))
        return range(lo, hi + 1)

    def plan(self, j: int, is_cut: Callable[[int], bool], renderer: Renderer, frames: Frames) -> Plan:
        raise NotImplementedError

    def render(self, plan: Plan, renderer: Renderer, frames: Frames) -> torch.Tensor:
        return renderer.interp(plan, frames)


class PlainMode(Mode):
    name = "plain"

    def core_window(self, j):
        return plain_window(j, self.ratio, self.n, self.phase)

    def plan(self, j, is_cut, renderer, frames) -> Interp:
        return plain_plan(j, self.ratio, self.n, is_cut, self.phase)


class ForwardMode(Mode):
    """Forward dedup with a fixed number of midpoint passes."""

    name = "forward"

    def __init__(self, ratio, n, phase, n_forward: int) -> None:
        super().__init__(ratio, n, phase)
        self.n_forward = n_forward

    def core_window(self, j):
        return forward_window(j, self.ratio, self.n, self.n_forward, self.phase)

    def plan(self, j, is_cut, renderer, frames) -> Interp:
        return forward_plan(j, self.ratio, self.n, self.n_forward, is_cut, self.phase)


def make_mode(name: str, ratio: Fraction, n: int, phase: str, n_forward: int | None) -> Mode:
    if name == "plain":
        return PlainMode(ratio, n, phase)
    if name == "forward":
        return ForwardMode(ratio, n, phase, DEFAULT_N_FORWARD if n_forward is None else n_forward)
    raise ValueError(f"mode {name!r} is not available yet; use mode='plain' or mode='forward'")
