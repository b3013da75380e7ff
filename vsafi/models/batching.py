"""Concurrent network calls of one kind run as one pass over a batch of a fixed size.

vspipe and mpv ask for many frames at once, and on a GPU one pass over a batch costs less per
frame than one pass per frame. Two rules keep seeking giving the frames playback gives:

- Every pass has the same size, padded with copies of a waiting request when fewer wait. cuDNN
  chooses its algorithm by the batch size, so a frame computed in a batch of 3 could differ from
  the same frame in a batch of 4; with one size it cannot.
- A request never waits for company. A pass starts as soon as the model is free and takes the
  requests queued by then (those that arrived during the previous pass): a lone request, as in
  seeking, costs one padded pass and no delay.

Which requests share a pass then depends on timing, so a frame must not depend on its batch
mates or its place in the batch; one fixed size keeps it so (``tests/test_batching.py``; on
CUDA ``tests/test_seek_cuda.py``). Against unbatched passes a frame may differ by rounding where
the CPU's kernels for a batch are not those for one.

The price of one size: a pass costs its full batch however few requests it serves, and the
modes' request patterns seldom fill it, so batching is off by default (measurements:
docs/compile.md §6, benchmarks/RESULTS.md "Batched passes").
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

import torch
from torch import Tensor

__all__ = ["Batcher", "MAX_BATCH", "check_batch"]

#: Largest batch a user may ask for. A pass's memory grows with its batch: RIFE plain at 1080p
#: fp16 peaked at 0.81 GiB on an H200 at batch 1 (benchmarks/RESULTS.md), so 16 is already many
#: GiB; the gain per frame is measured only at batch 4.
MAX_BATCH = 16


def check_batch(size: object) -> int:
    """``size`` as a batch size; ValueError saying what is allowed otherwise."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BATCH:
        raise ValueError(f"batch must be an integer from 1 (no batching) to {MAX_BATCH}, not {size!r}")
    return size


@dataclass
class _Request:
    net: Callable[..., Any]
    args: tuple
    kwargs: dict
    result: Future = field(default_factory=Future)


def _key(net: Callable[..., Any], args: tuple, kwargs: dict) -> Hashable | None:
    """What calls must share to run as one batch: the network, every tensor argument's shape
    past the batch dimension with its dtype and device, and every other argument's value. None
    when a call cannot join a batch (a tensor without a batch dimension of 1, or an argument
    that cannot be compared)."""
    parts: list[Hashable] = [net]  # bound methods compare equal by their object and function
    for a in args:
        if isinstance(a, Tensor):
            if a.dim() == 0 or a.shape[0] != 1:
                return None
            parts.append((tuple(a.shape[1:]), a.dtype, a.device))
        else:
            parts.append(("value", a))
    for name in sorted(kwargs):
        value = kwargs[name]
        if isinstance(value, Tensor):
            return None
        parts.append((name, value))
    key = tuple(parts)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _cut(out: Any, i: int) -> Any:
    """Request ``i``'s share of a batched output, copied: a view would keep the whole batch alive
    as long as any one frame is cached."""
    if isinstance(out, Tensor):
        return out[i:i + 1].clone()
    if isinstance(out, tuple):
        return tuple(_cut(part, i) for part in out)
    raise TypeError(f"batched network returned {type(out).__name__}; expected tensors")


class Batcher:
    """Runs ``net(*args, **kwargs)`` for many threads, ``size`` requests per pass.

    ``lock`` is the model's: holding it is running a pass, so batched passes and the model's
    other work never overlap (peak memory is one pass). ``passes`` counts the passes run and
    ``served`` the requests they served, so ``served / passes`` is the mean batch filled.
    """

    def __init__(self, size: int, lock: threading.Lock) -> None:
        self.size = check_batch(size)
        self.lock = lock
        self.passes = 0
        self.served = 0
        self._queues: dict[Hashable, deque[_Request]] = {}
        self._queue_lock = threading.Lock()

    def __call__(self, net: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        key = _key(net, args, kwargs)
        if key is None:
            with self.lock:
                self.passes += 1
                self.served += 1
                return net(*args, **kwargs)
        request = _Request(net, args, kwargs)
        with self._queue_lock:
            self._queues.setdefault(key, deque()).append(request)
        while not request.result.done():
            with self.lock:
                if request.result.done():
                    break
                self._run(self._take(key))
        return request.result.result()

    def waiting(self) -> int:
        """Requests queued and not yet taken into a pass."""
        with self._queue_lock:
            return sum(len(queue) for queue in self._queues.values())

    def _take(self, key: Hashable) -> list[_Request]:
        """The oldest ``size`` requests queued under ``key``. Called with the pass lock held: a
        request not yet served is still queued, since a pass serves all it took before the lock
        is let go."""
        with self._queue_lock:
            queue = self._queues[key]
            taken = [queue.popleft() for _ in range(min(self.size, len(queue)))]
            if not queue:
                del self._queues[key]
        return taken

    def _run(self, group: list[_Request]) -> None:
        """One pass over ``group`` padded to ``size``; every request gets its share or the error."""
        first = group[0]
        padded = group + [group[-1]] * (self.size - len(group))
        try:
            args = tuple(torch.cat([r.args[i] for r in padded]) if isinstance(a, Tensor) else a
                         for i, a in enumerate(first.args))
            out = first.net(*args, **first.kwargs)
            self.passes += 1
            self.served += len(group)
            shares = [_cut(out, i) for i in range(len(group))]
        except BaseException as exc:  # noqa: BLE001 - every waiting thread must wake with the error
            for r in group:
                r.result.set_exception(exc)
            return
        for r, share in zip(group, shares):
            r.result.set_result(share)
