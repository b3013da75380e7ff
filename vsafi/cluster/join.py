"""Segments joined into the output without re-encoding, with the input's audio and subtitles.

ffmpeg's concat demuxer reads the segments in order; each entry carries its exact duration
(frames / rate), so timestamps run on without the rounding of Matroska's millisecond clock
accumulating. The result is written inside the work folder and renamed onto the output only
when ffmpeg succeeded: the output either is complete or does not exist.
"""

from __future__ import annotations

import os
import subprocess
from fractions import Fraction
from pathlib import Path

from ..ffmpeg_args import ffmpeg_exe, side_streams

__all__ = ["concat_list", "join_command", "join"]


def _quoted(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


def concat_list(segments: list[tuple[Path, int]], fps: Fraction) -> str:
    """The concat demuxer's script for ``(segment, frames)`` in order, at ``fps``."""
    lines = ["ffconcat version 1.0"]
    for path, frames in segments:
        lines += [f"file {_quoted(path)}", f"duration {float(Fraction(frames) / fps):.9f}"]
    return "\n".join(lines) + "\n"


def join_command(script: Path, source: Path, dst: Path) -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
            "-i", str(script), "-i", str(source), "-map", "0:v:0", "-c:v", "copy", *side_streams(dst, 1), str(dst)]


def join(segments: list[tuple[Path, int]], fps: Fraction, source: Path, dst: Path, workdir: Path) -> None:
    """Write ``dst`` from the segments and ``source``'s side streams; raises RuntimeError on failure."""
    script = workdir / "segments.ffconcat"
    script.write_text(concat_list(segments, fps))
    part = workdir / f"joined{dst.suffix}"
    proc = subprocess.run(join_command(script, source, part), capture_output=True, text=True)
    if proc.returncode != 0:
        part.unlink(missing_ok=True)
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"joining the segments of {dst.name} failed (ffmpeg exit {proc.returncode}: {last})")
    os.replace(part, dst)
