"""The keys of the per-clip cache, one type per kind of value, each defined once.

A key holds only source indices (and pyramid nodes), so a value depends on its key alone, never
on which output or thread asked first: seeking gives the same pictures as playback. Each kind
says how many values one source frame can hold, which sizes the cache's entry bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..timing.plan import Node

__all__ = ["CacheKey", "FrameKey", "SourceCanvas", "CutThumbnails", "PairChange", "CutVerdict", "PairFlows", "PairState",
           "PyramidNode", "ENGINE_KEYS"]


@dataclass(frozen=True)
class CacheKey:
    """Base of every key. ``kind`` names it in the cache's statistics; ``per_source`` is how many
    values of the kind one source frame holds at most (per pyramid level for the level-wise
    kinds)."""

    kind: ClassVar[str] = "value"
    per_source: ClassVar[int] = 1


@dataclass(frozen=True)
class FrameKey(CacheKey):
    """A key of one source frame, or of the pair it starts: a subclass names only its kind."""

    index: int


class SourceCanvas(FrameKey):
    """Source frame ``index`` as RGB on the model canvas, in the compute dtype."""

    kind = "src"


class CutThumbnails(FrameKey):
    """The cut test's thumbnails of source frame ``index``."""

    kind = "thumb"


class PairChange(FrameKey):
    """The cut measures of the change from source frame ``index`` to the next."""

    kind = "diff"


class CutVerdict(FrameKey):
    """Whether a scene cut falls between source frame ``index`` and the next."""

    kind = "cut"


class PairFlows(FrameKey):
    """The endpoint flows between source frame ``index`` and the next, both ways."""

    kind = "flows"


@dataclass(frozen=True)
class PairState(CacheKey):
    """The backend's time-independent work for pyramid nodes ``a`` and ``b``."""

    kind: ClassVar[str] = "pair"
    a: Node
    b: Node


@dataclass(frozen=True)
class PyramidNode(CacheKey):
    """A forward pyramid node above the source frames (level ≥ 1)."""

    kind: ClassVar[str] = "node"
    node: Node


#: The kinds the engine keeps one of per source frame, whatever the mode.
ENGINE_KEYS: tuple[type[CacheKey], ...] = (SourceCanvas, CutThumbnails, PairChange, CutVerdict, PairFlows)
