"""The history recorder: a clock-tick subscriber that accumulates minutes in memory and writes them in batches."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..alerts.notification import Notification
from ..config import AppConfig
from ..metrics.registry import Metrics
from ..pipeline.events import SiteTick
from ..state.model import SiteSnapshot
from ..state.sessions import ServiceCompleted
from .accumulate import Batch, MinuteAccumulator
from .history import HistoryStore
from .targets import targets_of

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 6 * 3600.0


class HistoryRecorder:
    """Records per-minute history of every site into ``<state_dir>/history.db``.

    Subscribe ``on_ticks`` to the engine's TickFanout: it runs on its own thread, adds each tick to the minutes
    in memory (microseconds) and, every ``reports.flush_every``, writes the finished minutes, services and alerts
    in one transaction. ``close`` writes what is left, the current minute too (a restart adds to that row).
    A ``kill -9`` loses at most the minutes not yet written (up to flush_every plus the current minute).
    """

    def __init__(self, cfg: AppConfig, state_dir: Path, metrics: Metrics | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """Open the history database (migrating it) in ``state_dir``."""
        self.store = HistoryStore(state_dir)
        self.metrics = metrics
        self.clock = clock
        self.acc = MinuteAccumulator()
        self._lock = threading.Lock()  # on_ticks (lane thread) against configure/close (other threads)
        self._last_flush = clock()
        self._last_prune = float("-inf")
        self.configure(cfg)

    def configure(self, cfg: AppConfig) -> None:
        """Apply a (re)loaded config: thresholds, wait target, write interval, retention."""
        t = targets_of(cfg)
        with self._lock:
            self.acc.configure(t.queue, t.wait_target_s)
            self.flush_every = cfg.reports.flush_every
            self.retention_s = cfg.reports.retention_days * 86400.0

    def on_ticks(self, ticks: Sequence[SiteTick]) -> None:
        """Add one clock tick of every site; write a batch when one is due."""
        with self._lock:
            for tick in ticks:
                self.acc.observe(tick)
            now = self.clock()
            if now - self._last_flush < self.flush_every:
                return
            self._last_flush = now
            batch = self.acc.take_finished()
            self._write(batch)
            if now - self._last_prune >= PRUNE_EVERY_S:
                self._last_prune = now
                try:
                    n = self.store.prune(now - self.retention_s)
                except Exception:
                    log.exception("history pruning failed")
                else:
                    if n:
                        log.info("history pruned", extra={"rows": n})

    def _write(self, batch: Batch) -> None:
        if not len(batch):
            return
        t0 = time.perf_counter()
        try:
            self.store.write(batch)
        except Exception:
            # Kept for the next attempt: a locked or full disk should not lose the minutes already counted.
            log.exception("history write failed; will retry", extra={"rows": len(batch)})
            self.acc.give_back(batch)
            return
        if self.metrics is not None:
            self.metrics.history_write_seconds.observe(time.perf_counter() - t0)
            for table, n in (("counter_minutes", len(batch.counters)), ("zone_minutes", len(batch.zones)),
                             ("services", len(batch.services)), ("alerts", len(batch.alerts))):
                if n:
                    self.metrics.history_rows.labels(table).inc(n)

    def flush(self) -> None:
        """Write every finished minute now."""
        with self._lock:
            self._write(self.acc.take_finished())
            self._last_flush = self.clock()

    def close(self) -> None:
        """Write everything accumulated, the unfinished minutes too, and close the database."""
        with self._lock:
            batch = self.acc.take_all()
            if len(batch):
                try:
                    self.store.write(batch)
                except Exception:
                    log.exception("history write at shutdown failed", extra={"rows": len(batch)})
            self.store.close()


class ReplayHistory:
    """History of a ``replay`` run, on video time: the same minutes as the service, written at the end.

    Each sample's state holds until the next sample; the last one holds for one sample interval (``close``).
    """

    def __init__(self, cfg: AppConfig, state_dir: Path) -> None:
        """Open the history database in ``state_dir``."""
        t = targets_of(cfg)
        self.store = HistoryStore(state_dir)
        self.acc = MinuteAccumulator(t.queue, t.wait_target_s)
        self.site: str | None = None
        self._ticks = 0

    def observe(self, snap: SiteSnapshot, services: Sequence[ServiceCompleted] = (),
                notifications: Sequence[Notification] = ()) -> None:
        """Add one sample's snapshot, the services it completed and the alerts it produced."""
        self.site = snap.site
        self.acc.observe(SiteTick(snap, tuple(services), tuple(notifications)))
        self._ticks += 1
        if self._ticks % 1000 == 0:  # a long video: keep memory flat
            self.store.write(self.acc.take_finished())

    def close(self, end: float) -> int:
        """Let the last sample hold until ``end`` (unix), write everything and close; return rows written."""
        if self.site is not None:
            self.acc.finish(self.site, end)
        try:
            return self.store.write(self.acc.take_all())
        finally:
            self.store.close()
