"""The engine's outputs, each a tick subscriber on its own thread: metrics, the alert stage, evidence pictures.

Which must see every tick, in order, and why:

- **alerts** (``every``): rule timers and episodes follow each snapshot; a skipped one could hide a short
  resolve or delay a firing, so the clock waits for the alert stage rather than drop a tick. It then hands the
  tick, with the notifications it produced, to the engine's ``notified`` ticks.
- **evidence** (``every``, on ``notified``): a dropped tick could lose the only picture of a firing alert.
- **metrics** (lossy): each tick overwrites the last; after a gap the next tick is the truth, and open/staffed
  seconds simply skip gaps (as they do when the process pauses).
- **history** (lossy, reports): minutes credit the time between the ticks they saw.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from ..alerts.notification import Notification
from ..config import AppConfig
from ..config.reload_plan import ReloadPlan
from ..config.service import EvidenceConfig
from ..metrics.publisher import SitePublisher
from ..metrics.registry import Metrics
from ..metrics.series import prune_series
from ..privacy.evidence import EvidenceStore, record_evidence
from ..state.model import SiteSnapshot
from .events import SiteTick, TickFanout
from .sites import SiteStates

log = logging.getLogger(__name__)


class AlertSink(Protocol):
    """What the alert stage calls: monitor.alerts.alerting.Alerting satisfies it."""

    def process(self, snap: SiteSnapshot) -> list[Notification]:
        """Evaluate a site's rules on a snapshot and commit the notifications due; return them."""
        ...


class MetricsOutput:
    """Copies each tick into the Prometheus metrics: snapshots, and the services completed since the last tick."""

    def __init__(self, cfg: AppConfig, metrics: Metrics) -> None:
        """Publish the sites of ``cfg``."""
        self.metrics = metrics
        # Ticks (the lane's thread) against a reload (another thread): a series a reload removed must not come
        # back from a snapshot taken before it.
        self._lock = threading.Lock()
        self._publishers = {s.id: SitePublisher(s, metrics) for s in cfg.sites}

    def __call__(self, ticks: Sequence[SiteTick]) -> None:
        """Publish one tick of every site."""
        with self._lock:
            for tick in ticks:
                pub = self._publishers.get(tick.snapshot.site)
                if pub is None:
                    continue  # removed by a reload after this tick was taken
                for s in tick.services:
                    pub.service_completed(s.counter, s.duration_s)
                pub.publish(tick.snapshot)

    def retire(self, plan: ReloadPlan) -> None:
        """Remove the series of the sites a reload removes."""
        with self._lock:
            for sid in plan.sites_removed:
                pub = self._publishers.pop(sid, None)
                if pub is not None:
                    pub.forget()

    def adopt(self, cfg: AppConfig, plan: ReloadPlan) -> None:
        """Publish the new config's sites; remove the series of whatever it no longer has."""
        with self._lock:
            publishers = {}
            for site in cfg.sites:
                pub = self._publishers.get(site.id)
                # Zone labels (kind, counter) may have changed: a publisher caches them per site.
                if pub is None or site.id in plan.sites_rebuilt or pub.site.cameras != site.cameras:
                    pub = SitePublisher(site, self.metrics)
                publishers[site.id] = pub
            self._publishers = publishers
            prune_series(self.metrics, cfg)


class AlertStage:
    """Evaluates the alert rules on every tick, in order, then hands the tick with its notifications on."""

    def __init__(self, alerts: AlertSink | None, out: TickFanout) -> None:
        """Publish the evaluated ticks to ``out`` (unchanged when this process has no alerting)."""
        self.alerts = alerts
        self.out = out

    def __call__(self, ticks: Sequence[SiteTick]) -> None:
        """Evaluate one tick of every site."""
        done = []
        for tick in ticks:
            notes: tuple[Notification, ...] = ()
            if self.alerts is not None:
                try:
                    notes = tuple(self.alerts.process(tick.snapshot))
                except Exception:
                    log.exception("alert evaluation failed", extra={"site": tick.snapshot.site})
            done.append(replace(tick, notifications=notes))
        self.out.publish(done)


class EvidenceOutput:
    """Saves the blurred pictures the notifications of a tick call for; purges those past their retention."""

    def __init__(self, store: EvidenceStore, settings: Callable[[], EvidenceConfig], states: SiteStates,
                 clock: Callable[[], float]) -> None:
        """Write into ``store`` with the running ``settings()``; pictures come from ``states``."""
        self.store = store
        self.settings = settings
        self.states = states
        self.clock = clock

    def __call__(self, ticks: Sequence[SiteTick]) -> None:
        """Save the evidence of one tick of every site (a failed write is logged and skipped)."""
        for tick in ticks:
            site = self.states.site_config(tick.snapshot.site) if tick.notifications else None
            if site is None:
                continue
            at = tick.snapshot.at.timestamp()
            record_evidence(self.store, self.settings(), site, tick.notifications,
                            lambda cid: self.states.picture(cid, at), at)  # noqa: B023 - called at once

    def purge(self) -> int:
        """Delete evidence pictures past the retention period; return how many (the scheduled job)."""
        try:
            return self.store.purge(self.clock(), self.settings().retention)
        except Exception:
            log.exception("evidence purge failed")
            return 0
