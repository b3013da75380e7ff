"""Plans: plain data saying what an output frame is made of.

A plan names source frames or forward-dedup pyramid nodes and an interpolation weight; the
engine executes it with a model. Plans never hold tensors, so a test can print and compare them.
Every plan type has ``sources`` (the source frames it reads), ``copies`` (the source frame it
shows untouched, or None) and a readable ``str``; a mode with its own kind of output (DRBA)
defines its plan type beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Node", "Interp"]


@dataclass(frozen=True, order=True)
class Node:
    """Pyramid node L[level][index] of forward dedup; level 0 is source frame F[index].

    L[l][i] = MID(L[l-1][i], L[l-1][i+1]) sits at source time i + l/2 and depends only on
    F[i .. i+l].
    """

    level: int
    index: int

    @property
    def time(self) -> Fraction:
        return Fraction(2 * self.index + self.level, 2)

    @property
    def sources(self) -> range:
        """Source frames this node depends on."""
        return range(self.index, self.index + self.level + 1)

    def __str__(self) -> str:
        return f"F[{self.index}]" if self.level == 0 else f"L{self.level}[{self.index}]"


@dataclass(frozen=True)
class Interp:
    """Output = VFI(a, b, t), a earlier than b. ``t == 0`` means ``a`` itself and ``b`` is None."""

    a: Node
    b: Node | None
    t: Fraction

    def __post_init__(self) -> None:
        if not 0 <= self.t < 1:
            raise ValueError(f"Interp: t={self.t} outside [0, 1)")
        if (self.t == 0) != (self.b is None):
            raise ValueError("Interp: b must be None exactly when t == 0")

    @classmethod
    def hold(cls, node: Node) -> "Interp":
        return cls(node, None, Fraction(0))

    @property
    def sources(self) -> set[int]:
        out = set(self.a.sources)
        if self.b is not None:
            out |= set(self.b.sources)
        return out

    @property
    def copies(self) -> int | None:
        """The source frame this plan is, untouched (a hold of level 0), else None."""
        return self.a.index if self.b is None and self.a.level == 0 else None

    def __str__(self) -> str:
        return str(self.a) if self.b is None else f"VFI({self.a}, {self.b}, {self.t})"
