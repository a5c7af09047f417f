"""Reporting: the reports part of a running monitor (history recorder, report building, schedules, files)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from ..alerts.alerting import Alerting
from ..config import LoadedConfig
from ..metrics.registry import Metrics
from ..pipeline.events import TickFanout
from ..redact import REDACTOR
from .figures import ReportBuilder, ReportRequest
from .files import ReportFiles
from .history import HistoryStore
from .recorder import HistoryRecorder
from .schedule import ReportScheduler
from .targets import publish_targets

log = logging.getLogger(__name__)


def report_secrets(loaded: LoadedConfig) -> list[str]:
    """Return the secret values the reports settings name (SMTP login, signing keys), for log redaction."""
    rep = loaded.config.reports
    names = [rep.link_secret_env, *(h.secret_env for h in rep.webhooks)]
    if rep.email is not None:
        names.append(rep.email.password_env)
    return [v for n in names if n and len(v := os.environ.get(n, "")) >= 3]


def build_report(loaded: LoadedConfig, req: ReportRequest, now: dt.datetime) -> dict[str, Any]:
    """Return a report over the history in the config's state dir (opens and closes the database)."""
    store = HistoryStore(loaded.config.service.state_dir)
    try:
        return ReportBuilder(loaded.config, store).build(req, now)
    finally:
        store.close()


class Reporting:
    """Everything reports need at run time; the API reads ``build`` and ``files``.

    Wire it with ``attach(engine.notified, alerts)``: the recorder subscribes to the engine's ticks (history), the
    scheduler puts due reports into the alert outbox and registers its targets with the alert worker.
    """

    def __init__(self, loaded: LoadedConfig, metrics: Metrics, clock: Callable[[], float] = time.time) -> None:
        """Open the history database and the report file folder in the state dir."""
        self.loaded = loaded
        self.metrics = metrics
        self.clock = clock
        cfg = loaded.config
        REDACTOR.add(report_secrets(loaded))
        secret_env = cfg.reports.link_secret_env
        self.files = ReportFiles(cfg.service.state_dir, os.environ.get(secret_env) if secret_env else None)
        self.recorder = HistoryRecorder(cfg, cfg.service.state_dir, metrics, clock) if cfg.reports.history else None
        self.scheduler: ReportScheduler | None = None
        publish_targets(cfg, metrics)

    def attach(self, ticks: TickFanout | None, alerts: Alerting | None) -> None:
        """Subscribe the history recorder to ``ticks`` and start schedules on the alert outbox.

        ``ticks`` is the engine's ``notified`` fan-out: ticks with their alert notifications.
        """
        if self.recorder is not None and ticks is not None:
            ticks.subscribe("history", self.recorder.on_ticks)
        if alerts is not None:
            self.scheduler = ReportScheduler(self.loaded, alerts, self.files,
                                             lambda req, now: build_report(self.loaded, req, now), self.clock)

    def start(self) -> None:
        """Start the schedule loop."""
        if self.scheduler is not None:
            self.scheduler.start()

    def stop(self) -> None:
        """Stop the schedule loop and write the history still in memory (after the engine stopped)."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.recorder is not None:
            self.recorder.close()

    def configure(self, loaded: LoadedConfig) -> None:
        """Apply a reloaded config: thresholds (history and metrics), schedules and targets."""
        self.loaded = loaded
        REDACTOR.add(report_secrets(loaded))
        publish_targets(loaded.config, self.metrics)
        if self.recorder is not None:
            self.recorder.configure(loaded.config)
        if self.scheduler is not None:
            self.scheduler.configure(loaded)

    def build(self, req: ReportRequest, now: dt.datetime) -> dict[str, Any]:
        """Return a report over this service's history."""
        return build_report(self.loaded, req, now)
