"""Cut sources: interchangeable objects with one question, "is there a cut after frame i?".

SC(i) must be a pure function of a bounded window of frames around the pair so that random
access equals playback. Sources: an explicit list of scene starts, upstream
``_SceneChangePrev/_SceneChangeNext`` props, and the contrast test (:class:`CutDetector`); the
first that knows the answer wins.
"""

from __future__ import annotations

from typing import Callable, Mapping, Protocol, Sequence

from ..timing.scenes import cuts_from_scene_starts

__all__ = ["CutSource", "ListCuts", "PropCuts", "cut_test", "combine"]


class CutSource(Protocol):
    def is_cut(self, i: int) -> bool | None:
        """True/False if this source decides SC(i), None if it has no opinion."""


class ListCuts:
    """Explicit scene starts (``scenes=``): decides every pair."""

    def __init__(self, starts: Sequence[int]) -> None:
        self.cuts = cuts_from_scene_starts(starts)

    def is_cut(self, i: int) -> bool:
        return i in self.cuts


class PropCuts:
    """Upstream props: ``_SceneChangeNext`` on F[i] or ``_SceneChangePrev`` on F[i+1] mark SC(i)."""

    def __init__(self, props_of: Callable[[int], Mapping]) -> None:
        self.props_of = props_of

    def is_cut(self, i: int) -> bool | None:
        if self.props_of(i).get("_SceneChangeNext", 0) or self.props_of(i + 1).get("_SceneChangePrev", 0):
            return True
        return None


def cut_test(scenes: Sequence[int] | None, props_of: Callable[[int], Mapping],
             detector: CutSource | None) -> Callable[[int], bool]:
    """SC(i) as the filter decides it: explicit ``scenes`` alone when given, else upstream props
    first, then ``detector`` (:class:`CutDetector`; None when detection is off)."""
    if scenes is not None:
        return combine([ListCuts(scenes)])
    return combine([PropCuts(props_of)] + ([detector] if detector is not None else []))


def combine(sources: Sequence[CutSource]) -> Callable[[int], bool]:
    """SC(i) from the first source with an opinion; no opinion anywhere means no cut."""

    def is_cut(i: int) -> bool:
        for src in sources:
            answer = src.is_cut(i)
            if answer is not None:
                return bool(answer)
        return False

    return is_cut
