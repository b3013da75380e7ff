"""Forward dedup: interpolate along a pyramid of repeated midpoints instead of the raw frames.

L[0][i] = F[i]; L[l][i] = MID(L[l−1][i], L[l−1][i+1]) sits at time i + l/2. With N passes the
apexes A[s] = L[N][s] (time s + N/2) turn a drawing held for N+1 frames into even motion:
one pass makes on-twos exactly linear, two suit on-threes. Within a scene [S, E] the output
walks the left edge path L[0..Ne][S] (HEAD), the apexes (BODY), then the right edge path down
to F[E] (TAIL), compressed so that F[E] lands on the scene's last output slot. No node ever
spans a cut, so no output blends two scenes. A scene shorter than N+1 frames uses
Ne = L−1 passes; its body is then the single point where both edge paths meet, L[Ne][S].
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...timing.plan import Interp, Node
from ...timing.scenes import CutTest, scene_bounds
from ...timing.timemap import (
    clamped_source_time,
    floor_frac,
    last_output_before,
    output_length,
    source_time,
)

__all__ = ["ForwardRegion", "forward_window", "forward_region", "forward_plan"]


@dataclass(frozen=True)
class ForwardRegion:
    """Where output j falls in its scene, for plans and debugging.

    ``start``/``end`` are the scene bounds as seen inside the request window: a bound that is the
    edge of the window is only a lower/upper estimate, but then the region never depends on it.
    ``region`` is "single" (one-frame scene), "head", "body" or "tail".
    """

    j: int
    tau: Fraction
    start: int
    end: int
    ne: int
    region: str

    @property
    def h(self) -> Fraction:
        """Half the effective pass count: the head and tail are this long in source time."""
        return Fraction(self.ne, 2)


def _check_passes(n_forward: int) -> None:
    if isinstance(n_forward, bool) or not isinstance(n_forward, int) or n_forward < 0:
        raise ValueError(f"n_forward must be an integer >= 0, not {n_forward!r}")


def _forward_time(j: int, ratio: Fraction, n: int, phase: str) -> Fraction:
    """tau of output j, clamped to [0, n−1] only when it falls outside the clip's [0, n).

    Outputs with tau in (n−1, n) stay unclamped: they are the last scene's final slots, and the
    tail shrink maps them onto the right edge path so that F[n−1] lands on the very last output.
    """
    clamped = clamped_source_time(j, ratio, n, phase)
    raw = source_time(j, ratio, phase)
    return raw if 0 <= raw < n else clamped


def forward_window(
    j: int, ratio: Fraction, n: int, n_forward: int, phase: str = "standard"
) -> range:
    """Source frames output j may need: F[k0−N−1 .. k0+N+1] clamped, k0 = floor(tau).

    Enough both for every pyramid node of the plan and for the cut flags that decide it.
    """
    _check_passes(n_forward)
    k0, _ = floor_frac(clamped_source_time(j, ratio, n, phase))
    return range(max(0, k0 - n_forward - 1), min(n - 1, k0 + n_forward + 1) + 1)


def forward_region(
    j: int, ratio: Fraction, n: int, n_forward: int, is_cut: CutTest, phase: str = "standard"
) -> ForwardRegion:
    """Scene (within the request window), effective passes and region of output j."""
    window = forward_window(j, ratio, n, n_forward, phase)
    tau = _forward_time(j, ratio, n, phase)
    start, end = scene_bounds(floor_frac(tau)[0], is_cut, window.start, window.stop - 1)
    ne = min(n_forward, end - start)
    h = Fraction(ne, 2)
    if start == end:
        region = "single"
    elif tau < start + h:
        region = "head"
    elif tau <= end - h:
        region = "body"
    else:
        region = "tail"
    return ForwardRegion(j, tau, start, end, ne, region)


def _last_slot_time(end: int, ratio: Fraction, n: int, phase: str) -> Fraction:
    """Source time of the scene's last output slot: the last output whose tau < end + 1."""
    last = min(last_output_before(Fraction(end + 1), ratio, phase), output_length(n, ratio) - 1)
    return _forward_time(last, ratio, n, phase)


def _along(path: list[Node], x: Fraction) -> Interp:
    """Point x (in half source frames from the path's first node) on a path of half-frame steps."""
    m, w = floor_frac(x)
    return Interp.hold(path[m]) if w == 0 else Interp(path[m], path[m + 1], w)


def forward_plan(
    j: int, ratio: Fraction, n: int, n_forward: int, is_cut: CutTest, phase: str = "standard"
) -> Interp:
    """Plan of output j in forward mode with N = ``n_forward`` passes (N = 0 is plain mode).

    ``is_cut`` is asked only about pairs inside ``forward_window``.
    """
    r = forward_region(j, ratio, n, n_forward, is_cut, phase)
    tau, s0, e0, ne, h = r.tau, r.start, r.end, r.ne, r.h
    if r.region == "single":
        return Interp.hold(Node(0, s0))
    if r.region == "head":
        left_edge = [Node(level, s0) for level in range(ne + 1)]
        return _along(left_edge, 2 * (tau - s0))
    if r.region == "body":
        s, w = floor_frac(tau - h)
        return Interp.hold(Node(ne, s)) if w == 0 else Interp(Node(ne, s), Node(ne, s + 1), w)
    a = e0 - h
    right_edge = [Node(ne - m, e0 - ne + m) for m in range(ne + 1)]
    tau_last = _last_slot_time(e0, ratio, n, phase)
    c = Fraction(e0) if tau >= tau_last or tau_last <= a else a + h * (tau - a) / (tau_last - a)
    return _along(right_edge, 2 * (c - a))
