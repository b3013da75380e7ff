"""A scale-out job on the driver: inputs planned into segments, the work folders prepared
(finished segments reused), the missing segments handed to the pool, each output joined as soon
as its last segment is in. Knows neither VapourSynth nor Ray."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from ..ffmpeg_args import Encoder
from ..progress import ProgressLine, say
from .chunks import Chunk, split
from .join import join
from .segment import SegmentReport, SegmentTask
from .workdir import WorkDir

__all__ = ["InputJob", "JobResult", "RunSegments", "run_jobs", "worker_summary"]


@dataclass(frozen=True)
class InputJob:
    """One input to one output: the filter's arguments and what the driver measured of its output."""

    source: Path
    output: Path
    filter_kwargs: dict[str, Any]
    encoder: Encoder
    fps_out: Fraction
    frames: int
    chunk_length: int
    identity: dict[str, Any] = field(default_factory=dict)

    def chunks(self) -> list[Chunk]:
        return split(self.frames, self.chunk_length)

    def key(self) -> dict[str, Any]:
        """What the segments depend on; a work folder made for another key is not reused."""
        plain = {k: str(v) if isinstance(v, Fraction) else v for k, v in self.filter_kwargs.items()}
        return {"input": str(self.source.resolve()), **self.identity, "filter": plain,
                "encoder": [self.encoder.name, self.encoder.crf, self.encoder.preset, list(self.encoder.extra)],
                "frames": self.frames}


@dataclass
class JobResult:
    """What a job did: the segments rendered now, those reused per output, the outputs written."""

    reports: list[SegmentReport] = field(default_factory=list)
    reused: dict[Path, int] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


#: ``run_segments(tasks, on_report, progress)``: renders the tasks somewhere (a Ray pool).
RunSegments = Callable[[list[SegmentTask], Callable[[SegmentReport], None], Callable[[int], None]], None]


def _plan(job: InputJob, result: JobResult) -> list[SegmentTask]:
    """Prepare ``job``'s work folder; the tasks for its segments that are not finished yet."""
    work, chunks = WorkDir(job.output), job.chunks()
    state = work.prepare(job.key(), chunks)
    finished = work.finished(chunks)
    result.reused[job.output] = len(finished)
    if state == "resumed":
        say(f"{job.output.name}: resuming, {len(finished)} of {len(chunks)} segments already finished")
    elif state == "restarted":
        say(f"{job.output.name}: its work folder was made from another input or other settings; starting over")
    return [SegmentTask(str(job.source), job.source.name, job.filter_kwargs, job.encoder, c, str(work.segment(c)))
            for c in chunks if c not in finished]


def _join(job: InputJob, result: JobResult) -> None:
    work = WorkDir(job.output)
    join([(work.segment(c), c.frames) for c in job.chunks()], job.fps_out, job.source, job.output, work.path)
    work.remove()
    result.written.append(job.output)


def run_jobs(jobs: list[InputJob], run_segments: RunSegments, quiet: bool = False) -> JobResult:
    """Render every job's missing segments through ``run_segments`` and join each output."""
    result = JobResult()
    tasks = {job.output: _plan(job, result) for job in jobs}
    missing = {job.output: {t.segment for t in tasks[job.output]} for job in jobs}
    owner = {t.segment: job for job in jobs for t in tasks[job.output]}
    for job in jobs:
        if not missing[job.output]:
            _join(job, result)

    def on_report(report: SegmentReport) -> None:
        result.reports.append(report)
        job = owner[report.segment]
        missing[job.output].discard(report.segment)
        if not missing[job.output]:
            _join(job, result)

    todo = [t for job in jobs for t in tasks[job.output]]
    total = sum(job.frames for job in jobs)
    before = total - sum(t.chunk.frames for t in todo)
    line = ProgressLine(total, quiet, before)
    if todo:
        run_segments(todo, on_report, lambda done: line(before + done))
    return result


def worker_summary(reports: list[SegmentReport]) -> str:
    """One line per worker: segments, frames, busy seconds and its rate."""
    rows: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for r in reports:
        row = rows[r.worker]
        row[0] += 1
        row[1] += r.frames
        row[2] += r.seconds
    width = max((len(w) for w in rows), default=6)
    lines = [f"{'worker':<{width}}  segments  frames  busy s     fps"]
    for worker, (segs, frames, secs) in sorted(rows.items()):
        lines.append(f"{worker:<{width}}  {segs:8d}  {frames:6d}  {secs:6.1f}  {frames / max(secs, 1e-9):6.2f}")
    return "\n".join(lines)
