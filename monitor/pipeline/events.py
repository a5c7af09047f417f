"""What the state clock hands to its outputs each tick, and the fan-out that hands it to each on its own thread."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..alerts.notification import Notification
from ..state.model import SiteSnapshot
from ..state.sessions import ServiceCompleted

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteTick:
    """One site at one clock tick: its snapshot, the services completed since the previous tick, the alerts.

    ``notifications`` are filled in by the alert stage: empty on the engine's ``ticks``, the alert notifications
    the snapshot produced on its ``notified`` ticks.
    """

    snapshot: SiteSnapshot
    services: tuple[ServiceCompleted, ...] = ()
    notifications: tuple[Notification, ...] = ()


TickSubscriber = Callable[[Sequence[SiteTick]], None]


class _Lane:
    """One subscriber's bounded queue and thread: a slow subscriber falls behind on its own.

    When the queue is full, a lossy lane drops its oldest tick (counted); an ``every`` lane makes the publisher
    wait for room instead, so that subscriber sees every tick.
    """

    def __init__(self, name: str, fn: TickSubscriber, maxsize: int, every: bool,
                 on_drop: Callable[[str], None] | None) -> None:
        self.name = name
        self.fn = fn
        self.every = every
        self.on_drop = on_drop
        self.dropped = 0
        self._items: deque[Sequence[SiteTick]] = deque()
        self._maxsize = maxsize
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        # Started by the first tick, so an engine that never runs starts no thread.
        self._thread = threading.Thread(target=self._run, name=f"tick-{name}", daemon=True)

    def put(self, ticks: Sequence[SiteTick]) -> None:
        with self._cond:
            if self._closed:
                return
            if self._thread.ident is None:
                self._thread.start()
            if len(self._items) >= self._maxsize:
                if self.every:
                    log.warning("an output that must see every tick is behind: the clock waits for it",
                                extra={"subscriber": self.name, "queued": len(self._items)})
                    self._cond.wait_for(lambda: len(self._items) < self._maxsize or self._closed)
                    if self._closed:
                        return
                else:
                    self._items.popleft()  # the oldest goes: a subscriber that catches up wants the present
                    self.dropped += 1
                    if self.on_drop is not None:
                        self.on_drop(self.name)
            self._items.append(ticks)
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closed:
                    self._cond.wait()
                if not self._items:
                    return
                ticks = self._items.popleft()
                self._busy = True
                self._cond.notify_all()  # room for a publisher waiting on an `every` lane
            try:
                self.fn(ticks)
            except Exception:  # a subscriber's bug must not end its lane
                log.exception("tick subscriber failed", extra={"subscriber": self.name})
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def drain(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._items and not self._busy, timeout)

    def close(self, timeout: float) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread.ident is not None:
            self._thread.join(timeout)


class TickFanout:
    """Hands every tick to each subscriber on the subscriber's own thread, through a bounded queue.

    ``publish`` only appends to queues, so the clock never waits for a lossy subscriber (one more than
    ``maxsize`` ticks behind loses the oldest, counted); it waits only for a full ``every`` lane, and never
    holds the engine's lock while it does, so inference goes on.
    """

    def __init__(self, maxsize: int = 120, on_drop: Callable[[str], None] | None = None) -> None:
        """Queue at most ``maxsize`` ticks per subscriber; ``on_drop(name)`` is told of each dropped one."""
        self.maxsize = maxsize
        self.on_drop = on_drop
        self._lanes: dict[str, _Lane] = {}
        self._lock = threading.Lock()

    def subscribe(self, name: str, fn: TickSubscriber, *, every: bool = False) -> None:
        """Start handing ticks to ``fn`` (called on its own thread, one tick list at a time, in order).

        ``every``: ``fn`` must see every tick (alerts, evidence); the publisher waits rather than drop one.
        """
        with self._lock:
            if name in self._lanes:
                raise ValueError(f"a tick subscriber named {name!r} exists already")
            self._lanes = {**self._lanes, name: _Lane(name, fn, self.maxsize, every, self.on_drop)}

    def publish(self, ticks: Sequence[SiteTick]) -> None:
        """Queue one tick (every site's SiteTick) for each subscriber; never blocks on them."""
        for lane in self._lanes.values():
            lane.put(ticks)

    def dropped(self) -> dict[str, int]:
        """Return how many ticks each subscriber lost by falling behind."""
        return {name: lane.dropped for name, lane in self._lanes.items()}

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every subscriber has handled what was published; True when all did in time."""
        return all(lane.drain(timeout) for lane in list(self._lanes.values()))

    def close(self, timeout: float = 10.0) -> None:
        """Let each subscriber finish its queue, then stop its thread."""
        with self._lock:
            lanes, self._lanes = self._lanes, {}
        for lane in lanes.values():
            lane.close(timeout)
