"""Bounded, per-camera fair queue of samples waiting for inference; overload drops the oldest, counted."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Queued(Generic[T]):
    """An item with the camera it belongs to and when it was queued (monotonic seconds)."""

    camera: str
    item: T
    queued_at: float


class SampleQueue(Generic[T]):
    """Holds at most ``per_camera`` samples per camera; ``take`` serves cameras round-robin.

    Overload policy: when a camera already has ``per_camera`` samples waiting, its oldest is dropped (the newest
    frame is the one worth analysing); samples older than ``max_age`` are dropped when taken. Every drop is reported
    through ``on_drop(camera, reason)`` so it can be counted. Memory is bounded by cameras x per_camera frames.
    """

    def __init__(self, per_camera: int = 1, max_age: float | None = None,
                 on_drop: Callable[[str, str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_camera < 1:
            raise ValueError("per_camera must be >= 1")
        self.per_camera = per_camera
        self.max_age = max_age
        self._on_drop = on_drop or (lambda camera, reason: None)
        self._clock = clock
        self._queues: OrderedDict[str, deque[Queued[T]]] = OrderedDict()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, camera: str, item: T) -> None:
        """Queue a sample, dropping the camera's oldest if it is full."""
        dropped = False
        with self._cond:
            q = self._queues.setdefault(camera, deque())
            if len(q) >= self.per_camera:
                q.popleft()
                dropped = True
            q.append(Queued(camera, item, self._clock()))
            self._cond.notify()
        if dropped:
            self._on_drop(camera, "overload")

    def __len__(self) -> int:
        """Return the number of waiting samples."""
        with self._cond:
            return sum(len(q) for q in self._queues.values())

    def close(self) -> None:
        """Wake waiting takers; later takes return what is left, then empty lists."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self, max_items: int, timeout: float | None = None) -> list[Queued[T]]:
        """Return up to max_items samples, one per camera per round (fairness), waiting up to timeout for one."""
        stale: list[str] = []
        with self._cond:
            deadline = None if timeout is None else self._clock() + timeout
            while not any(self._queues.values()) and not self._closed:
                remaining = None if deadline is None else deadline - self._clock()
                if remaining is not None and remaining <= 0:
                    return []
                self._cond.wait(remaining)
            out: list[Queued[T]] = []
            now = self._clock()
            while len(out) < max_items and any(self._queues.values()):
                for camera in list(self._queues):
                    q = self._queues[camera]
                    if not q or len(out) >= max_items:
                        continue
                    entry = q.popleft()
                    # Rotate so the next batch starts with another camera.
                    self._queues.move_to_end(camera)
                    if self.max_age is not None and now - entry.queued_at > self.max_age:
                        stale.append(camera)
                        continue
                    out.append(entry)
        for camera in stale:
            self._on_drop(camera, "stale")
        return out

    def forget(self, camera: str) -> None:
        """Drop a removed camera's waiting samples silently."""
        with self._cond:
            self._queues.pop(camera, None)
