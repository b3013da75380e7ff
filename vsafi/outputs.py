"""Output files appear whole or not at all: each is written under a temporary name beside it and
renamed into place only once complete (atomic on one filesystem), and an existing file is
replaced only when the user said so. Paths only; no VapourSynth."""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["PARTIAL_TAG", "partial_path", "check_outputs", "publish"]

#: Marks a file being written; what carries it is never a finished output.
PARTIAL_TAG = ".vsafi-partial"


def partial_path(dst: Path) -> Path:
    """Where this process writes ``dst`` until it is complete. Host and pid keep two writers
    (workers sharing a folder over the network) apart; the extension stays, for ffmpeg's muxer."""
    return dst.with_name(f"{dst.stem}{PARTIAL_TAG}-{socket.gethostname()}-{os.getpid()}{dst.suffix}")


def publish(part: Path, dst: Path) -> None:
    """Move the finished ``part`` onto ``dst`` in one step: readers see the old file or the new one."""
    os.replace(part, dst)


def _blocking_file(folder: Path) -> Path | None:
    """The file that stands where ``folder`` or one of its parents should be, if any."""
    for p in (folder, *folder.parents):
        if p.exists():
            return None if p.is_dir() else p
    return None


def check_outputs(outputs: list[Path], overwrite: bool) -> None:
    """Refuse, before any work, outputs that cannot be written or that would replace a file
    without ``overwrite``; one ValueError naming every such output and the fix."""
    for dst in outputs:
        if dst.is_dir():
            raise ValueError(f"output {dst} is a folder; name a file (with several inputs, -o names the folder)")
        blocker = _blocking_file(dst.parent)
        if blocker is not None:
            raise ValueError(f"cannot write {dst}: {blocker} is a file, not a folder")
    if not overwrite:
        existing = [str(dst) for dst in outputs if dst.exists()]
        if existing:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise ValueError(f"output {existing[0]} exists{more}; add -y to overwrite, or choose another name")
