"""One chunk rendered to one segment file: what a worker runs (plain-data task in, report out).

The worker opens the source itself and builds the same filter as a single-process run, then
encodes only its chunk's output frames; that the frames are the same as in one long run follows
from the filter's seek-exactness (docs/cluster.md).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..encode import encode, open_source, picture_tags
from ..ffmpeg_args import Encoder
from .chunks import Chunk

__all__ = ["SegmentTask", "SegmentReport", "render_segment"]


@dataclass(frozen=True)
class SegmentTask:
    """Everything a worker needs for one segment; plain data, so it crosses to any machine."""

    source: str
    label: str
    filter_kwargs: dict[str, Any]
    encoder: Encoder
    chunk: Chunk
    segment: str

    @property
    def key(self) -> str:
        return self.segment


@dataclass(frozen=True)
class SegmentReport:
    """What a worker did: ``worker`` names the process (host, pid and GPU where one was used)."""

    segment: str
    chunk: Chunk
    worker: str
    frames: int
    seconds: float


def worker_name() -> str:
    """Host, process and GPU(s) of this worker, as Ray assigned them."""
    gpus = os.environ.get("CUDA_VISIBLE_DEVICES")
    return f"{socket.gethostname()} pid {os.getpid()}" + (f" gpu {gpus}" if gpus else "")


def render_segment(task: SegmentTask, progress: Callable[[int], None] | None = None) -> SegmentReport:
    """Encode ``task.chunk``'s output frames to ``task.segment``; raises with the reason on failure."""
    from .. import interpolate

    start = time.monotonic()
    source = open_source(Path(task.source))
    clip = interpolate(source, **task.filter_kwargs)
    if clip.num_frames < task.chunk.stop:
        raise RuntimeError(f"the filter gives {clip.num_frames} frames on this worker where the job planned "
                           f"{task.chunk.stop}: the input or vsafi differs between machines")
    final = Path(task.segment)
    report = (lambda done, total: progress(done)) if progress else None
    # A fresh ffmpeg per segment, video only: each segment starts on a keyframe.
    if not encode(clip[task.chunk.start:task.chunk.stop], final, task.encoder, tags=picture_tags(source),
                  progress=report):
        raise RuntimeError(f"ffmpeg could not write {final}")
    return SegmentReport(task.segment, task.chunk, worker_name(), task.chunk.frames, time.monotonic() - start)
