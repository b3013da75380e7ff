"""The three control modes as strategies: which source window an output needs, its plan, its image.

The timing layer decides *what* an output shows (pure plans); a mode binds that to the engine:
it widens the window so scene-change props can be set, and renders plans the renderer cannot
render alone (DRBA's per-pixel timesteps).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import torch

from ..cadence import measure_cadence
from ..timing.forward import forward_plan, forward_window
from ..timing.scenes import scene_bounds
from ..timing.plain import plain_plan, plain_window
from ..timing.plan import Interp, Plan
from ..timing.timemap import clamped_source_time, floor_frac
from .cache import OnceCache
from .render import Frames, Renderer

__all__ = ["MODES", "Mode", "make_mode"]

MODES = ("plain", "forward", "drba")

#: Midpoint passes of ``forward`` where a scene is too short to measure its cadence.
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

    def frame_props(self, j: int, is_cut: Callable[[int], bool], renderer: Renderer, frames: Frames) -> dict:
        """Mode-specific output frame props."""
        return {}


class PlainMode(Mode):
    name = "plain"

    def core_window(self, j):
        return plain_window(j, self.ratio, self.n, self.phase)

    def plan(self, j, is_cut, renderer, frames) -> Interp:
        return plain_plan(j, self.ratio, self.n, is_cut, self.phase)


BLOCK = 24
MARGIN = 12
MAX_AUTO_N = 3
#: Blocks whose measured N the forward mode keeps (4096 x 24 frames: 68 min at 23.976 fps, a
#: few MiB of small dicts); older ones are measured again if playback comes back to them.
CADENCE_BLOCKS = 4096


def measure_range(block: int, n: int) -> range:
    """Source frames whose cadence decides N for ``block``: the block and MARGIN around it."""
    return range(max(0, block * BLOCK - MARGIN), min(n, (block + 1) * BLOCK + MARGIN))


def block_passes(block: int, n: int, is_cut: Callable[[int], bool], gray_of: Callable[[int], object]) -> dict[int, int]:
    """Forward passes N for every frame of ``block``: measured cadence − 1 (capped at MAX_AUTO_N)
    of the frames of its scene inside ``measure_range``. A pure function of those frames."""
    r = measure_range(block, n)
    start, stop = block * BLOCK, min((block + 1) * BLOCK, n)
    out: dict[int, int] = {}
    for k in range(start, stop):
        if k in out:
            continue
        s, e = scene_bounds(k, is_cut, r.start, r.stop - 1)
        seq = [gray_of(i) for i in range(s, e + 1)]
        passes = DEFAULT_N_FORWARD if len(seq) < 4 else min(measure_cadence(seq) - 1, MAX_AUTO_N)
        out.update(dict.fromkeys(range(max(s, start), min(e + 1, stop)), passes))
    return out


class ForwardMode(Mode):
    """Forward dedup; N fixed by the user or measured per block of the scene (auto).

    Auto N is seek-exact and bounded (``block_passes``). Where two blocks of one scene
    disagree, the boundary acts as a cut for the forward plan only (not for scene-change props),
    so no plan mixes two pyramids. A window is computed without the measurement frames when its
    blocks are cached; the cadence cache keeps :data:`CADENCE_BLOCKS` blocks, far more than the
    frames in flight between ``window`` and ``plan`` of one output can evict (each output touches
    at most two blocks), so such a block is still there at render time.
    """

    name = "forward"

    def __init__(self, ratio, n, phase, n_forward: int | None) -> None:
        super().__init__(ratio, n, phase)
        self.fixed = n_forward
        self.reach = MAX_AUTO_N if n_forward is None else n_forward
        self.cadence_cache = OnceCache(1 << 60, max_entries=CADENCE_BLOCKS)

    def core_window(self, j):
        return forward_window(j, self.ratio, self.n, self.reach, self.phase)

    def window(self, j):
        w = super().window(j)
        if self.fixed is not None:
            return w
        lo, hi = w.start, w.stop
        for block in {i // BLOCK for i in self.core_window(j)}:
            if ("block", block) not in self.cadence_cache:
                r = measure_range(block, self.n)
                lo, hi = min(lo, r.start), max(hi, r.stop)
        return range(lo, hi)

    def _block_passes(self, block: int, is_cut, renderer: Renderer, frames: Frames) -> dict[int, int]:
        return self.cadence_cache.get(
            ("block", block), lambda: block_passes(block, self.n, is_cut, lambda i: renderer.analysis(i, frames)))

    def passes_at(self, k: int, is_cut, renderer: Renderer, frames: Frames) -> int:
        """Forward passes N in effect at source frame k."""
        if self.fixed is not None:
            return self.fixed
        return self._block_passes(k // BLOCK, is_cut, renderer, frames)[k]

    def plan(self, j, is_cut, renderer, frames) -> Interp:
        if self.fixed is not None:
            return forward_plan(j, self.ratio, self.n, self.fixed, is_cut, self.phase)
        k0 = self.shown_frame(j)
        passes = self.passes_at(k0, is_cut, renderer, frames)

        def boundary(i: int) -> bool:
            if is_cut(i):
                return True
            if (i + 1) % BLOCK:
                return False
            return self.passes_at(i, is_cut, renderer, frames) != self.passes_at(i + 1, is_cut, renderer, frames)

        return forward_plan(j, self.ratio, self.n, passes, boundary, self.phase)

    def frame_props(self, j, is_cut, renderer, frames) -> dict:
        return {"vsafi_n_forward": self.passes_at(self.shown_frame(j), is_cut, renderer, frames)}


def make_mode(name: str, ratio: Fraction, n: int, phase: str, n_forward: int | None) -> Mode:
    if name == "plain":
        return PlainMode(ratio, n, phase)
    if name == "forward":
        return ForwardMode(ratio, n, phase, n_forward)
    if name == "drba":
        from .drba import DrbaMode

        return DrbaMode(ratio, n, phase)
    raise ValueError(f"mode must be one of {', '.join(MODES)}, not {name!r}")
