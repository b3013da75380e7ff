"""Frames into ffmpeg: sources opened, clips piped as y4m, no partial file on failure.

Shared by the single-process command, the demo and the workers of a scale-out job, so every
path encodes the same way.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Callable

import vapoursynth as vs

from .progress import say


__all__ = ["encode", "for_y4m", "open_source"]


def open_source(path: Path) -> vs.VideoNode:
    """The video of ``path`` through bestsource (which indexes it on first open)."""
    if not path.is_file():
        raise FileNotFoundError(f"input {path} does not exist")
    return vs.core.bs.VideoSource(str(path))


def for_y4m(clip: vs.VideoNode) -> vs.VideoNode:
    """y4m carries YUV/GRAY only: RGB goes to 4:4:4 YUV at the same depth."""
    if clip.format.color_family != vs.RGB:
        return clip
    bits = clip.format.bits_per_sample
    fmt = vs.core.query_video_format(vs.YUV, clip.format.sample_type, bits, 0, 0)
    return vs.core.resize.Bicubic(clip, format=fmt.id, matrix_s="709")


def encode(clip: vs.VideoNode, cmd: list[str], dst: Path,
           progress: Callable[[int, int], None] | None = None) -> bool:
    """Pipe ``clip`` as y4m into ffmpeg ``cmd``; the partial output is removed unless it succeeds.

    Ctrl-C stops ffmpeg, removes the file and re-raises KeyboardInterrupt.
    """
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    ok = False
    try:
        for_y4m(clip).output(proc.stdin, y4m=True, progress_update=progress)
        proc.stdin.close()
        ok = proc.wait() == 0
        if not ok:
            say(f"ffmpeg failed (exit {proc.returncode}): {' '.join(cmd)}")
    except BrokenPipeError:
        say(f"ffmpeg stopped reading (exit {proc.wait()})")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not ok and dst.exists():
            dst.unlink()
    return ok
