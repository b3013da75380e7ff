"""A thread-safe LRU cache that computes each key at most once at a time.

VapourSynth renders output frames on several threads. Two threads that need the same pyramid
node or pair flow must not both run the model: the second waits for the first. Keys are
deterministic (source indices, :mod:`.keys`), so a value never depends on which thread or which
output frame asked for it first.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from typing import Any, Callable, Hashable

import torch

__all__ = ["OnceCache", "nbytes"]


def nbytes(value: Any) -> int:
    """Approximate memory held by a cached value (tensors, containers of tensors, scalars)."""
    if isinstance(value, torch.Tensor):
        return value.element_size() * value.nelement()
    if isinstance(value, (list, tuple)):
        return sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    if hasattr(value, "__dataclass_fields__"):
        return sum(nbytes(getattr(value, name)) for name in value.__dataclass_fields__)
    return 64


class _Pending:
    __slots__ = ("event", "value", "error")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class OnceCache:
    """LRU mapping bounded by ``max_bytes`` and ``max_entries``; ``get(key, compute)`` runs
    ``compute`` once per key.

    The entry bound matters for the many small values (thumbnails, cut flags, analysis images)
    that would take a byte budget sized for frames a whole episode to fill.

    ``stats`` counts computations per key kind (a key's ``kind``, :mod:`.keys`) and hits, which
    is what a benchmark reports of the cache's work.
    """

    def __init__(self, max_bytes: int, max_entries: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._data: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._pending: dict[Hashable, _Pending] = {}
        self._size = 0
        self.stats: Counter[str] = Counter()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
                self.stats["hit"] += 1
                return hit[0]
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = _Pending()
        if not owner:
            pending.event.wait()
            if pending.error is not None:
                raise pending.error
            return pending.value
        return self._compute(key, pending, compute)

    def offer(self, key: Hashable, compute: Callable[[], Any]) -> None:
        """Store ``compute()`` under ``key`` unless it is cached or being computed already: for a
        value that falls out of other work (a source frame's canvas, out of the conversion its
        cut thumbnails needed). A thread that asks for ``key`` meanwhile waits for it."""
        with self._lock:
            if key in self._data or key in self._pending:
                return
            pending = self._pending[key] = _Pending()
        self._compute(key, pending, compute)

    def _compute(self, key: Hashable, pending: _Pending, compute: Callable[[], Any]) -> Any:
        try:
            value = compute()
        except BaseException as exc:
            pending.error = exc
            with self._lock:
                del self._pending[key]
            pending.event.set()
            raise
        pending.value = value
        self._store(key, value)
        pending.event.set()
        return value

    def _store(self, key: Hashable, value: Any) -> None:
        size = nbytes(value)
        with self._lock:
            del self._pending[key]
            self.stats[getattr(key, "kind", "value")] += 1
            self._data[key] = (value, size)
            self._size += size
            while len(self._data) > 1 and (self._size > self.max_bytes or (
                    self.max_entries is not None and len(self._data) > self.max_entries)):
                _, (_, old) = self._data.popitem(last=False)
                self._size -= old

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._size = 0
            self.stats.clear()

    @property
    def size_bytes(self) -> int:
        return self._size
