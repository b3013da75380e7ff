"""Segment renderers that fail on purpose, for tests/test_cluster.py. Ray workers import this
module by name (the tests put this folder on PYTHONPATH); markers go to $VSAFI_FAULT_DIR."""

from __future__ import annotations

import os
from pathlib import Path

from vsafi.cluster.segment import render_segment

#: The segment each renderer breaks.
DIES_ON = 1
FAILS_ON = 2


def _marker(name: str) -> Path:
    return Path(os.environ["VSAFI_FAULT_DIR"]) / name


def dies_once(task, progress=None):
    """The worker process vanishes the first time it starts segment ``DIES_ON`` (a lost machine)."""
    if task.chunk.index == DIES_ON:
        marker = _marker(f"died-{Path(task.segment).parent.name}")
        if not marker.exists():
            marker.touch()
            os._exit(1)
    return render_segment(task, progress)


def always_fails(task, progress=None):
    """Segment ``FAILS_ON`` raises every time (counted in the ``attempts`` marker)."""
    if task.chunk.index == FAILS_ON:
        with _marker("attempts").open("a") as f:
            f.write("x")
        raise OSError("disk on fire")
    return render_segment(task, progress)
