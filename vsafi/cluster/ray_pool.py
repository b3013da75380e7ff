"""Ray underneath a scale-out job: a local Ray with N workers or an existing cluster, segment
tasks retried when they fail or their worker dies, progress gathered from every worker.

The only module that imports Ray, and only when a job asks for workers.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..progress import REDRAW_S
from .segment import SegmentReport, SegmentTask, render_segment

__all__ = ["ClusterError", "Pool", "connect", "local_placement", "run_segments", "require_ray", "check_reachable",
           "INSTALL_HINT", "RETRIES"]

#: Reruns of a failed task: a lost worker or a passing failure (disk, driver) is survived; an
#: input or setting that fails every time stops the job after three attempts.
RETRIES = 2
INSTALL_HINT = "pip install 'vsafi[cluster]'"
#: Object store for a local Ray, in bytes: tasks pass only plain data, so Ray's minimum will do.
LOCAL_OBJECT_STORE = 128 * 2**20
#: Seconds to wait for a cluster's address to answer before calling it unreachable.
CONNECT_TIMEOUT_S = 5.0


class ClusterError(RuntimeError):
    """A scale-out failure the user can act on; its text is one line."""


def require_ray() -> Any:
    """The ray module, or a ClusterError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError(f"--workers and --ray need Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def check_reachable(address: str) -> None:
    """Fail in seconds, not after Ray's minute of retries, when nothing listens at ``address``."""
    if address == "auto":
        return
    hostport = address.removeprefix("ray://").rsplit("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--ray {address}: give the head node as HOST:PORT (for example 10.0.0.5:6379) or auto")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start it with "
                           f"'ray start --head' on that machine or check the address") from None


@dataclass
class Pool:
    """A connected Ray and how to place segment tasks on it."""

    ray: Any
    slots: int
    cpus_per_task: float
    gpus_per_task: float
    describe: str

    def close(self) -> None:
        self.ray.shutdown()


def _local_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def local_placement(cores: int, gpus: int, workers: int | None) -> tuple[int, int, float]:
    """(workers, CPUs per task, GPUs per task) on one machine: ``workers`` or one per GPU (at
    least one); the cores shared out, so torch gets that many threads per worker; one GPU per
    worker, or an equal share where there are fewer GPUs than workers (a filter uses one)."""
    n = workers or max(gpus, 1)
    return n, max(1, cores // n), (min(1.0, gpus / n) if gpus else 0.0)


def connect(workers: int | None, address: str | None, use_gpu: bool) -> Pool:
    """A local Ray with ``workers`` workers (one GPU each where there are enough), or the cluster at
    ``address`` (``workers``, if given, caps the tasks in flight)."""
    ray = require_ray()
    if workers is not None and workers < 1:
        raise ClusterError(f"--workers must be at least 1, not {workers}")
    quiet = dict(log_to_driver=False, logging_level=logging.ERROR)
    if address is None:
        cores = os.cpu_count() or 1
        gpus = _local_gpus() if use_gpu else 0
        n, per_cpu, per_gpu = local_placement(cores, gpus, workers)
        ray.init(num_cpus=max(cores, n), num_gpus=gpus, include_dashboard=False,
                 object_store_memory=LOCAL_OBJECT_STORE, **quiet)
        return Pool(ray, n, per_cpu, per_gpu,
                    f"{n} local worker{'s' * (n > 1)}" + (f" on {gpus} GPU{'s' * (gpus > 1)}" if gpus else " on the CPU"))
    check_reachable(address)
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError) as exc:
        raise ClusterError(f"cannot join the Ray cluster at {address}: {str(exc).splitlines()[0]}") from None
    res = ray.cluster_resources()
    gpus = int(res.get("GPU", 0)) if use_gpu else 0
    slots = workers or gpus or int(res.get("CPU", 1))
    return Pool(ray, slots, 1, 1.0 if gpus else 0.0,
                f"Ray cluster at {address}: {slots} tasks at a time" + (f" on {gpus} GPUs" if gpus else " on CPUs"))


class Tally:
    """Frames done per segment as workers report them; a retried segment starts again at zero."""

    def __init__(self) -> None:
        self.done: dict[str, int] = {}

    def report(self, key: str, frames: int) -> None:
        self.done[key] = frames

    def total(self) -> int:
        return sum(self.done.values())


def _execute(render: Callable[..., SegmentReport], task: SegmentTask, tally: Any) -> SegmentReport:
    """The task body on a worker: ``render`` with its progress sent to the tally."""
    last = [0.0]

    def progress(done: int) -> None:
        now = time.monotonic()
        if done >= task.chunk.frames or now - last[0] >= REDRAW_S:
            last[0] = now
            tally.report.remote(task.key, done)

    tally.report.remote(task.key, 0)
    return render(task, progress)


def _reason(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else 'no message'}"


def run_segments(pool: Pool, tasks: list[SegmentTask], on_report: Callable[[SegmentReport], None],
                 progress: Callable[[int], None] | None = None,
                 render: Callable[..., SegmentReport] = render_segment) -> None:
    """Run ``tasks`` (in order, ``pool.slots`` at a time); ``on_report`` gets each finished one.

    A task that fails ``RETRIES + 1`` times stops the job: the rest are cancelled and
    :class:`ClusterError` names the segment and the reason. ``progress`` gets the frames the
    running and finished tasks have done, about every ``REDRAW_S``.
    """
    ray = pool.ray
    tally = ray.remote(num_cpus=0)(Tally).remote()
    remote = ray.remote(_execute).options(num_cpus=pool.cpus_per_task, num_gpus=pool.gpus_per_task,
                                          max_retries=RETRIES, retry_exceptions=True)
    queue = list(tasks)
    pending: dict[Any, SegmentTask] = {}
    try:
        while queue or pending:
            while queue and len(pending) < pool.slots:
                task = queue.pop(0)
                pending[remote.remote(render, task, tally)] = task
            ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=REDRAW_S)
            for ref in ready:
                task = pending.pop(ref)
                try:
                    report = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    raise ClusterError(f"{task.label} {task.chunk} failed {RETRIES + 1} times: {_reason(exc)}") from None
                on_report(report)
            if progress is not None:
                progress(ray.get(tally.total.remote()))
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
