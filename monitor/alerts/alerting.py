"""Alerting: the alert part of a running monitor (rules, daily summaries and webhook delivery of every site)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..config import SiteConfig, WebhookConfig
from ..metrics import Metrics
from ..metrics.series import remove
from ..schedule.calendar import SiteCalendar
from ..state.model import SiteSnapshot
from . import texts
from .notification import STATUSES, Notification
from .outbox import Delivery, Outbox, Outgoing
from .payloads import render_body
from .rule_state import ActiveAlert
from .rules import RuleBook
from .summary import DailySummary
from .webhook import Deliverer, TargetLookup, TargetSettings

log = logging.getLogger(__name__)

# Rule and summary state is saved on every transition; slowly moving timers at most this often (wall clock).
SAVE_EVERY_S = 10.0
RETENTION_S = 90 * 86400.0


class UnknownTarget(LookupError):
    """A site or webhook target named by a request does not exist."""


@dataclass(frozen=True)
class RecentNotification:
    """A stored notification with the state of its deliveries."""

    notification: Notification
    deliveries: list[Delivery]


@dataclass
class _Site:
    config: SiteConfig
    book: RuleBook
    summary: DailySummary
    saved_revision: int = -1
    saved_at: float = float("-inf")


def wants(hook: WebhookConfig, n: Notification) -> bool:
    """Return whether a target receives a notification (its rule filter, daily_summary flag, test target)."""
    if n.status == "test":
        return n.target == hook.id
    if n.status == "summary":
        return hook.daily_summary
    return hook.rules is None or n.rule in hook.rules or n.kind in hook.rules


class Alerting:
    """Evaluates alert rules on site snapshots and delivers notifications reliably through the SQLite outbox.

    Rule time is ``snap.at`` (video time under ``replay``); delivery retries use ``clock`` (the real clock).
    Typical use::

        alerts = Alerting(cfg.sites, cfg.service.state_dir, metrics)
        alerts.start()
        alerts.process(snapshot)        # for every snapshot, from the pipeline
        alerts.flush(30.0); alerts.stop()
    """

    def __init__(self, sites: list[SiteConfig], state_dir: Path | str, metrics: Metrics,
                 clock: Callable[[], float] = time.time, *, env: Mapping[str, str] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        """Open the outbox in ``state_dir`` and restore each site's persisted rule and summary state."""
        self.metrics = metrics
        self.clock = clock
        self.outbox = Outbox(Path(state_dir))
        self._lock = threading.RLock()
        self._sites: dict[str, _Site] = {}
        self._extra_targets: list[TargetLookup] = []
        self.deliverer = Deliverer(self.outbox, self._target, metrics, clock, env, transport)
        self.update_sites(sites)
        self.outbox.prune(clock() - RETENTION_S)
        if self.outbox.recovered:
            log.warning("webhook deliveries interrupted by a crash will be re-sent",
                        extra={"count": self.outbox.recovered})
        metrics.webhook_queue_depth.set(self.outbox.depth())

    # -- configuration ---------------------------------------------------------------------------------------

    def update_sites(self, sites: list[SiteConfig]) -> None:
        """Apply a (re)loaded config: unchanged rules keep state; changed or removed firing ones resolve."""
        with self._lock:
            old = self._sites
            new: dict[str, _Site] = {}
            orphans: list[Notification] = []
            for site in sites:
                book = RuleBook(site)
                summary = DailySummary(site, SiteCalendar(site))
                prev = old.get(site.id)
                # Rule state is stored as "engine:<site>": a new key would lose what existing state dirs hold.
                orphans += book.import_state(prev.book.export_state() if prev
                                             else self.outbox.get_state(f"engine:{site.id}"))
                summary.import_state(prev.summary.export_state() if prev
                                     else self.outbox.get_state(f"summary:{site.id}"))
                new[site.id] = _Site(site, book, summary)
            for sid, s in old.items():
                gone = set(s.book.rules) - set(new[sid].book.rules if sid in new else ())
                for rid in gone:
                    remove(self.metrics.alerts_firing, (rid, sid))  # absent when never set
            self._sites = new
            now = self.clock()
            items = [(n, self._outgoing(new[n.site].config, n)) for n in orphans]
            self.outbox.enqueue(items, now, self._state_of(new.values(), now))
            for s in new.values():
                self._publish_firing(s)
        if orphans:
            self.deliverer.wake()

    def add_targets(self, lookup: TargetLookup) -> None:
        """Let another part (scheduled reports) resolve the targets of its own outbox rows."""
        with self._lock:
            self._extra_targets.append(lookup)

    def _target(self, site_id: str, target_id: str) -> TargetSettings | None:
        with self._lock:
            s = self._sites.get(site_id)
            extra = list(self._extra_targets)
        if s is None:
            return next((t for lookup in extra if (t := lookup(site_id, target_id)) is not None), None)
        hook = next((h for h in s.config.alerts.webhooks if h.id == target_id), None)
        a = s.config.alerts
        return None if hook is None else TargetSettings(hook, a.retry_initial, a.retry_max, a.max_attempts)

    # -- the pipeline side -----------------------------------------------------------------------------------

    def process(self, snap: SiteSnapshot) -> list[Notification]:
        """Evaluate the site's rules and summary on a snapshot; commit notifications; never sends."""
        with self._lock:
            s = self._sites.get(snap.site)
            if s is None:
                return []
            book_before, summary_before = s.book.export_state(), s.summary.export_state()
            try:
                out = self._evaluate(s, snap)
            except Exception:
                # Nothing reached the outbox: rewind so the next snapshot produces these notifications again.
                s.book.import_state(book_before)
                s.summary = DailySummary(s.config, s.summary.calendar)
                s.summary.import_state(summary_before)
                raise
            self._publish_firing(s)
        if out:
            for n in out:
                log.info("alert notification", extra={"site": n.site, "rule": n.rule, "status": n.status,
                                                      "key": n.key, "summary": n.summary_en})
            self.deliverer.wake()
        return out

    def _evaluate(self, s: _Site, snap: SiteSnapshot) -> list[Notification]:
        out: list[Notification] = []
        report = s.summary.due(snap.at)
        if report is not None:
            out.append(report)
            s.summary.mark_sent(str(report.values["date"]))
        notes = s.book.evaluate(snap)
        s.summary.observe(snap)
        s.summary.note(notes)
        out += notes
        now = self.clock()
        if out or s.book.revision != s.saved_revision or now - s.saved_at >= SAVE_EVERY_S:
            items = [(n, self._outgoing(s.config, n)) for n in out]
            self.outbox.enqueue(items, now, self._state_of([s], now))
        return out

    def _state_of(self, sites: Iterable[_Site], now: float) -> dict[str, object]:
        state: dict[str, object] = {}
        for s in sites:
            state[f"engine:{s.config.id}"] = s.book.export_state()
            state[f"summary:{s.config.id}"] = s.summary.export_state()
            s.saved_revision, s.saved_at = s.book.revision, now
        return state

    def _outgoing(self, site: SiteConfig, n: Notification) -> list[Outgoing]:
        return [Outgoing(h.id, h.format, render_body(n, h.format, h.id))
                for h in site.alerts.webhooks if wants(h, n)]

    def _publish_firing(self, s: _Site) -> None:
        for rid, firing in s.book.firing().items():
            self.metrics.alerts_firing.labels(rid, s.config.id).set(1 if firing else 0)

    # -- delivery --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the delivery worker thread."""
        self.deliverer.start()

    def stop(self) -> None:
        """Stop the delivery worker and save rule and summary state (the outbox stays open for flush)."""
        self.deliverer.stop()
        with self._lock:
            now = self.clock()
            self.outbox.put_state(self._state_of(self._sites.values(), now), now)

    def close(self) -> None:
        """Stop and close the database."""
        self.stop()
        self.outbox.close()

    def flush(self, timeout: float) -> bool:
        """Deliver everything due (waiting out retry delays) for up to ``timeout`` s; True when all done."""
        return self.deliverer.flush(timeout)

    def send_test(self, site_id: str, target_id: str) -> str:
        """Queue a test notification to one target of a site; return its idempotency key."""
        with self._lock:
            s = self._sites.get(site_id)
            if s is None:
                raise UnknownTarget(f"unknown site {site_id!r}; sites: {sorted(self._sites) or 'none'}")
            ids = [h.id for h in s.config.alerts.webhooks]
            if target_id not in ids:
                raise UnknownTarget(f"site {site_id!r} has no webhook target {target_id!r}; "
                                    f"targets: {ids or 'none'}")
            site = s.config
        now = self.clock()
        vi, en = texts.message_for_test(site.name, target_id)
        n = Notification(site=site.id, site_name=site.name, province=site.province, timezone=site.timezone,
                         rule="test", kind="test", status="test", severity="info", at=now, starts_at=now,
                         ends_at=None, seq=0, summary_vi=vi, summary_en=en, target=target_id)
        self.outbox.enqueue([(n, self._outgoing(site, n))], now)
        self.deliverer.wake()
        return n.key

    # -- queries ---------------------------------------------------------------------------------------------

    def sites(self) -> dict[str, SiteConfig]:
        """Return the sites alerting knows, by id."""
        with self._lock:
            return {sid: s.config for sid, s in self._sites.items()}

    def active(self, site: str | None = None) -> list[ActiveAlert]:
        """Return pending and firing alerts (of one site, or all)."""
        with self._lock:
            return [a for sid, s in self._sites.items() if site in (None, sid) for a in s.book.active()]

    def recent(self, site: str | None = None, rule: str | None = None, status: str | None = None,
               limit: int = 100) -> list[RecentNotification]:
        """Return stored notifications, newest first, with their delivery states."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        return [RecentNotification(n, self.outbox.deliveries(n.key))
                for n in self.outbox.recent(site, rule, status, limit)]
