"""Frames into ffmpeg: sources opened, clips piped as y4m with their pictures' tags, each output
written whole or not at all.

Shared by the single-process command, the demo and the workers of a scale-out job, so every
path encodes the same way.
"""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Callable

import vapoursynth as vs

from .ffmpeg_args import Encoder, PictureTags
from .outputs import partial_path, publish
from .progress import say


__all__ = ["encode", "for_y4m", "open_source", "picture_tags"]


def open_source(path: Path) -> vs.VideoNode:
    """The video of ``path`` through bestsource (which indexes it on first open); ValueError in the
    user's terms where it has none."""
    if not path.is_file():
        raise FileNotFoundError(f"input {path} does not exist")
    try:
        return vs.core.bs.VideoSource(str(path))
    except vs.Error as exc:
        if "track index" in str(exc).lower():
            raise ValueError(f"input {path} has no video stream") from None
        raise ValueError(f"input {path} cannot be read as video ({exc})") from None


def for_y4m(clip: vs.VideoNode) -> vs.VideoNode:
    """y4m carries YUV/GRAY only: RGB goes to 4:4:4 YUV at the same depth."""
    if clip.format.color_family != vs.RGB:
        return clip
    bits = clip.format.bits_per_sample
    fmt = vs.core.query_video_format(vs.YUV, clip.format.sample_type, bits, 0, 0)
    return vs.core.resize.Bicubic(clip, format=fmt.id, matrix_s="709")


def _tag(props: vs.FrameProps, key: str) -> int | None:
    return int(props[key]) if key in props else None


def picture_tags(clip: vs.VideoNode) -> PictureTags:
    """The tags of ``clip``'s pictures as they reach ffmpeg (RGB as the 4:4:4 YUV of :func:`for_y4m`),
    read from the props of its first frame."""
    props = for_y4m(clip[0]).get_frame(0).props
    sar_num, sar_den = _tag(props, "_SARNum"), _tag(props, "_SARDen")
    full = _tag(props, "_Range")
    return PictureTags(matrix=_tag(props, "_Matrix"), transfer=_tag(props, "_Transfer"),
                       primaries=_tag(props, "_Primaries"),
                       full_range=None if full is None else full == int(vs.RANGE_FULL),
                       chroma_location=_tag(props, "_ChromaLocation") if clip.format.subsampling_w else None,
                       sar=Fraction(sar_num, sar_den) if sar_num and sar_den else None)


def _stop(proc: subprocess.Popen) -> None:
    """End ffmpeg now: what it was writing is thrown away, so nothing is worth waiting for."""
    if proc.poll() is None:
        proc.kill()
    try:
        proc.stdin.close()
    except OSError:
        pass
    proc.wait()


def encode(clip: vs.VideoNode, dst: Path, encoder: Encoder = Encoder(), *, audio_from: Path | None = None,
           tags: PictureTags | None = None, progress: Callable[[int, int], None] | None = None) -> bool:
    """Pipe ``clip`` as y4m into ffmpeg writing ``dst`` (with ``audio_from``'s side streams and
    ``tags``, by default the clip's own). ``dst`` appears only when ffmpeg finished cleanly; on any
    failure or interruption (re-raised) the partial file is removed and an earlier ``dst`` is kept.
    """
    part = partial_path(dst)
    cmd = encoder.command(part, audio_from, picture_tags(clip) if tags is None else tags)
    # Its own process group: a Ctrl-C at the terminal reaches vsafi alone, which ends ffmpeg itself.
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, process_group=0)
    ok = False
    try:
        if progress is not None:
            progress(0, clip.num_frames)
        for_y4m(clip).output(proc.stdin, y4m=True, progress_update=progress)
        proc.stdin.close()
        ok = proc.wait() == 0
        if not ok:
            say(f"ffmpeg failed (exit {proc.returncode}): {' '.join(cmd)}")
    except BrokenPipeError:
        say(f"ffmpeg stopped reading (exit {proc.wait()})")
    finally:
        _stop(proc)
        try:
            if ok:
                publish(part, dst)
        finally:
            part.unlink(missing_ok=True)
    return ok
