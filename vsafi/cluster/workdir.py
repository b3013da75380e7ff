"""The work folder beside an output: its manifest, its finished segments, nothing half-written.

A segment is finished exactly when its final name exists: a worker writes it under a partial
name of its own and renames it on success (:mod:`vsafi.outputs`), so a killed worker leaves only
a partial file, which the next run deletes. The manifest records what the segments were made
from; a rerun with another input file or other settings starts over instead of mixing two jobs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from ..outputs import PARTIAL_TAG
from .chunks import Chunk

__all__ = ["WorkDir", "SUFFIX"]

#: Appended to the output's file name to name its work folder.
SUFFIX = ".vsafi-work"
MANIFEST = "manifest.json"
#: Segments are Matroska whatever the output container: it holds every encoder ffmpeg offers.
SEGMENT_EXT = ".mkv"


class WorkDir:
    """Segments and manifest of one output file."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.path = output.with_name(output.name + SUFFIX)

    def segment(self, chunk: Chunk) -> Path:
        return self.path / f"seg-{chunk.index:05d}{SEGMENT_EXT}"

    def prepare(self, key: dict[str, Any], chunks: list[Chunk]) -> str:
        """Make the folder ready for ``key``: "new", "resumed" (same key: finished segments kept)
        or "restarted" (another key: old segments removed). Partial files always go."""
        manifest = self.path / MANIFEST
        record = {"key": key, "chunks": [[c.start, c.stop] for c in chunks]}
        state = "new"
        if manifest.is_file():
            try:
                same = json.loads(manifest.read_text()) == record
            except (OSError, ValueError):
                same = False
            state = "resumed" if same else "restarted"
        if state != "resumed" and self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        for stale in self.path.glob(f"*{PARTIAL_TAG}*"):
            stale.unlink()
        if state != "resumed":
            tmp = manifest.with_suffix(".tmp")
            tmp.write_text(json.dumps(record, indent=1))
            os.replace(tmp, manifest)
        return state

    def finished(self, chunks: list[Chunk]) -> list[Chunk]:
        return [c for c in chunks if self.segment(c).is_file()]

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
