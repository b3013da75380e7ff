"""Drop mode addressing: which kept frames an output lies between, in exact rationals.

F[i] is kept when it starts a scene, when it is not a duplicate of F[i−1], or when i is a
multiple of MAX_GAP that ends MAX_GAP duplicates in a row (a still shot has nothing else). The
last rule bounds how far an output looks for kept frames without touching drawn holds, which
are shorter, so every plan is a pure function of the frames around its time (``drop_window``):
seeking equals playback. A kept frame shows at its own time; an output between kept
frames a < b of one scene is VFI(F[a], F[b], (tau − a) / (b − a)); after a scene's last kept
frame the output holds it.
"""

from __future__ import annotations

from fractions import Fraction

from ...timing.plan import Interp, Node
from ...timing.scenes import CutTest
from ...timing.timemap import clamped_source_time, floor_frac

__all__ = ["MAX_GAP", "drop_window", "is_kept", "drop_plan"]

#: Duplicates in a row after which a keyframe is forced (at multiples of MAX_GAP): more than a
#: drawing held on fours has (3), so only still shots get forced keys.
MAX_GAP = 4


def drop_window(j: int, ratio: Fraction, n: int, phase: str = "standard") -> range:
    """Source frames output j needs, k = floor(tau): its last keyframe is at most 2·MAX_GAP − 1
    frames back and the next at most 2·MAX_GAP − 1 ahead, and deciding whether F[i] is kept reads
    F[i − MAX_GAP .. i]."""
    k, _ = floor_frac(clamped_source_time(j, ratio, n, phase))
    return range(max(0, k - 3 * MAX_GAP), min(n, k + 2 * MAX_GAP))


def is_kept(i: int, is_cut: CutTest, is_dup: CutTest) -> bool:
    """F[i] is a keyframe: a scene start, no duplicate of F[i−1], or a forced key."""
    if i == 0 or is_cut(i - 1) or not is_dup(i):
        return True
    return i % MAX_GAP == 0 and all(i - m > 0 and not is_cut(i - m - 1) and is_dup(i - m) for m in range(1, MAX_GAP))


def drop_plan(j: int, ratio: Fraction, n: int, is_cut: CutTest, is_dup: CutTest, phase: str = "standard") -> Interp:
    """Plan of output j: its last keyframe a ≤ tau, held at a or past the scene's last keyframe,
    else VFI(F[a], F[b], (tau − a) / (b − a)) with b the next keyframe of the scene.

    ``is_dup(i)``: F[i] is a duplicate of F[i−1] (asked only within a scene).
    """
    tau = clamped_source_time(j, ratio, n, phase)
    k, _ = floor_frac(tau)
    a = next(i for i in range(k, -1, -1) if is_kept(i, is_cut, is_dup))
    if tau == a:
        return Interp.hold(Node(0, a))
    for b in range(k + 1, min(n, k + 2 * MAX_GAP)):
        if is_cut(b - 1):
            break
        if is_kept(b, is_cut, is_dup):
            return Interp(Node(0, a), Node(0, b), (tau - a) / (b - a))
    return Interp.hold(Node(0, a))
