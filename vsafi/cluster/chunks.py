"""Output frame ranges cut into chunks, the unit a worker renders into one segment (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Chunk", "DEFAULT_CHUNK_SECONDS", "chunk_frames", "split"]

#: Output seconds per chunk. A boundary costs a few model calls (the frames the first outputs
#: of a chunk need again: 1.7 calls in forward, 1.3 in DRBA, none in plain and drop; 0.06 % of
#: a 30 s chunk's calls, benchmarks/chunk_overhead.py) plus opening the source and building the
#: filter once per chunk. A 24-minute episode is 48 chunks: enough to keep 8 workers busy to
#: the end, few enough that the per-chunk start costs nothing that shows.
DEFAULT_CHUNK_SECONDS = Fraction(30)


@dataclass(frozen=True)
class Chunk:
    """Output frames ``start`` ≤ n < ``stop`` of one input; ``index`` orders the segments."""

    index: int
    start: int
    stop: int

    @property
    def frames(self) -> int:
        return self.stop - self.start

    def __str__(self) -> str:
        return f"segment {self.index} (output frames {self.start}–{self.stop - 1})"


def chunk_frames(seconds: Fraction | float, fps_out: Fraction) -> int:
    """Frames in a chunk of ``seconds`` of output at ``fps_out`` (at least one)."""
    if seconds <= 0:
        raise ValueError(f"chunk length must be positive, not {seconds} s")
    return max(1, round(Fraction(seconds) * fps_out))


def split(total: int, length: int) -> list[Chunk]:
    """``total`` output frames in chunks of ``length`` (the last one shorter)."""
    if total < 1 or length < 1:
        raise ValueError(f"cannot split {total} frames into chunks of {length}")
    return [Chunk(i, start, min(start + length, total)) for i, start in enumerate(range(0, total, length))]
