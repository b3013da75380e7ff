"""The command's scale-out path: each input checked and measured, Ray connected, the job run, a
summary per worker printed. Every failure is one line on stderr and leaves no output file."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..encode import open_source
from ..ffmpeg_args import Encoder
from ..progress import say, say_interrupted
from ..signals import exit_status
from ..timing.timemap import output_length
from .chunks import chunk_frames
from .job import InputJob, run_jobs, worker_summary
from .ray_pool import ClusterError, connect, run_segments
from .workdir import WorkDir

__all__ = ["scale_out", "plan_input"]


def plan_input(source: Path, output: Path, filter_kwargs: dict[str, Any], encoder: Encoder,
               chunk_seconds: Fraction) -> InputJob:
    """Open ``source`` (indexing it once, here, not in every worker) and check the filter's
    arguments on it; raises ``vs.Error`` as ``interpolate`` would."""
    from ..filter import preflight

    s = preflight(open_source(source), **filter_kwargs)
    stat = source.stat()
    return InputJob(source, output, filter_kwargs, encoder, s.fps_out, output_length(s.num_frames, s.ratio),
                    chunk_frames(chunk_seconds, s.fps_out), {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns})


def _use_gpu(device: str | None) -> bool:
    if device is not None and device.startswith("cuda:"):
        raise ClusterError(f"--device {device}: with workers each one gets its own GPU; use --device cuda")
    return device != "cpu"


def scale_out(jobs: list[InputJob], device: str | None, workers: int | None, address: str | None,
              quiet: bool) -> int:
    """Run the planned ``jobs`` (:func:`plan_input`) on Ray; the exit status of the command."""
    try:
        pool = connect(workers, address, _use_gpu(device))
    except ClusterError as exc:
        say(str(exc))
        return 2
    try:
        if device == "cuda" and not pool.gpus_per_task:
            say("--device cuda, but Ray found no GPU; use --device cpu or leave --device out")
            return 2
        for job in jobs:
            job.output.parent.mkdir(parents=True, exist_ok=True)
        segments = sum(len(job.chunks()) for job in jobs)
        say(f"{pool.describe}; {len(jobs)} input{'s' * (len(jobs) > 1)} in {segments} segments")
        result = run_jobs(jobs, lambda tasks, done, progress: run_segments(pool, tasks, done, progress), quiet)
    except RuntimeError as exc:
        say(f"{exc}; finished segments are kept, rerun the same command to resume")
        return 1
    except KeyboardInterrupt as exc:
        kept = ", ".join(str(WorkDir(job.output).path) for job in jobs if WorkDir(job.output).path.exists())
        say_interrupted(f"finished segments are kept in {kept or 'no work folder'}; rerun the same command to resume")
        return exit_status(exc)
    finally:
        pool.close()
    reused = sum(result.reused.values())
    say(f"wrote {len(result.written)} file{'s' * (len(result.written) != 1)}: {len(result.reports)} segments "
         f"rendered, {reused} reused")
    if result.reports and not quiet:
        print(worker_summary(result.reports), file=sys.stderr)
    return 0
