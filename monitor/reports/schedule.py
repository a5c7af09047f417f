"""Scheduled reports: made once their period has ended, committed to the alert outbox, sent by webhook and e-mail.

For each ``reports.schedule`` entry, the report of the last complete period (yesterday, last ISO week, last
month) is due at ``at`` local time on the first day after it. When due and not yet sent, the file is written
under <state_dir>/reports/ (atomically), then the notification, one delivery row per target and the "sent" mark
go to the outbox in one transaction. The outbox's worker delivers them with retries; a ``kill -9`` anywhere
loses nothing: before the commit the report is simply made again, after it the rows are sent (again, with the
same idempotency key, if the kill came mid-send). A period that ended before the schedule was first seen is not
sent (a new schedule does not replay the past); one missed while the service was down is sent when it restarts.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..alerts.notification import Notification, idempotency_key
from ..alerts.outbox import Delivery, Outgoing
from ..alerts.webhook import SendOutcome, TargetSettings
from ..config import LoadedConfig, WebhookConfig
from ..config.reports import ReportScheduleConfig
from .figures import ReportRequest

if TYPE_CHECKING:
    from ..alerts.alerting import Alerting
from .files import ReportFiles
from .mail import compose, send_mail
from .periods import Period, previous
from .writers import MEDIA_TYPES, render

log = logging.getLogger(__name__)

SITE = "@reports"  # the outbox's "site" of report rows (never a real site id: '@' is not allowed in ids)
EMAIL_TARGET = "email"
CHECK_EVERY_S = 30.0
_DEFAULT_BY = {"day": "day", "week": "day", "month": "week"}


def due_at(s: ReportScheduleConfig, period: Period) -> dt.datetime:
    """Return when the report of ``period`` is due: ``at`` on the day after the period, local time."""
    hh, mm = (int(x) for x in s.at.split(":"))
    return dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(hh, mm), ZoneInfo(s.timezone))


def _texts(s: ReportScheduleConfig, period: Period, whole: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """Return the Vietnamese and English summary lines and the figures they quote."""
    rows = [r for r in whole["provinces"]]
    served = sum(r.get("served") or 0 for r in rows)
    waiting = sum(r.get("waiting_unstaffed_min") or 0.0 for r in rows)
    sites = sum(r.get("sites") or 0 for r in rows)
    ranked = [r for r in whole["ranking"] if r.get("ranked")]
    worst = min(ranked, key=lambda r: r["score"]) if ranked else None
    values = {"sites": sites, "served": served, "waiting_unstaffed_min": round(waiting, 1),
              "lowest": None if worst is None else {"site": worst["site"], "site_name": worst["site_name"],
                                                    "score": worst["score"]}}
    where = f" ({s.province})" if s.province else f" ({s.site})" if s.site else ""
    vi = (f"Báo cáo một cửa {period.id}{where}: {sites} đơn vị, {served} lượt phục vụ, "
          f"{waiting:.0f} phút dân chờ không có cán bộ.")
    en = (f"One-stop report {period.id}{where}: {sites} wards, {served} citizens served, "
          f"{waiting:.0f} min of citizens waiting with no officer.")
    if worst is not None:
        vi += f" Điểm thấp nhất: {worst['site_name']} ({worst['score']})."
        en += f" Lowest score: {worst['site_name']} ({worst['score']})."
    return vi, en, values


class ReportScheduler:
    """Makes due scheduled reports and hands them to the alert outbox; resolves and sends their targets.

    ``build(request, now)`` returns a report dict (ReportBuilder over this state dir). ``alerts`` is the running
    Alerting: its outbox stores the rows and its worker delivers them (``add_targets`` wires us in).
    """

    def __init__(self, loaded: LoadedConfig, alerts: Alerting, files: ReportFiles,
                 build: Callable[[ReportRequest, dt.datetime], dict[str, Any]],
                 clock: Callable[[], float] = time.time, env: Mapping[str, str] | None = None) -> None:
        """Schedule the reports of ``loaded``; nothing runs before ``start`` (or ``run_due``)."""
        self.loaded = loaded
        self.alerts = alerts
        self.outbox = alerts.outbox
        self.files = files
        self.build = build
        self.clock = clock
        self.env = os.environ if env is None else env
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        alerts.add_targets(self.target)

    def configure(self, loaded: LoadedConfig) -> None:
        """Use a reloaded config (schedules, targets, SMTP) from now on."""
        with self._lock:
            self.loaded = loaded

    # -- making reports --------------------------------------------------------------------------------------

    def base_url(self) -> str:
        """Return the URL receivers use to reach this service (download links)."""
        cfg = self.loaded.config
        if cfg.reports.public_url:
            return cfg.reports.public_url
        host = cfg.service.host if cfg.service.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{cfg.service.port}"

    def run_due(self) -> list[str]:
        """Make and queue every report that is due now and not sent yet; return their idempotency keys."""
        with self._lock:
            loaded = self.loaded
        keys = []
        now = self.clock()
        for s in loaded.config.reports.schedule:
            try:
                key = self._maybe_send(loaded, s, now)
            except Exception:
                log.exception("scheduled report failed; will try again", extra={"schedule": s.id})
                continue
            if key is not None:
                keys.append(key)
        if keys:
            self.alerts.deliverer.wake()
        return keys

    def _maybe_send(self, loaded: LoadedConfig, s: ReportScheduleConfig, now: float) -> str | None:
        tz = ZoneInfo(s.timezone)
        local = dt.datetime.fromtimestamp(now, tz)
        period = previous(s.every, local.date())
        state_key = f"report:{s.id}"
        state = self.outbox.get_state(state_key) or {}
        since = state.get("since")
        if since is None:
            since = now
            self.outbox.put_state({state_key: {**state, "since": since}}, now)
        period_end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(0), tz).timestamp()
        if period_end <= since or state.get("sent") == period.id or local < due_at(s, period):
            return None
        return self.send(loaded, s, period, now, {**state, "since": since, "sent": period.id}, state_key)

    def send(self, loaded: LoadedConfig, s: ReportScheduleConfig, period: Period, now: float,
             state: dict[str, Any] | None = None, state_key: str | None = None) -> str:
        """Make the report of ``period``, store its file and commit its deliveries; return the key."""
        cfg = loaded.config
        at = dt.datetime.fromtimestamp(now, ZoneInfo(s.timezone))
        by = s.by or _DEFAULT_BY[s.every]
        report = self.build(ReportRequest(period.first, period.last, by, s.site, s.province), at)  # type: ignore[arg-type]
        whole = self.build(ReportRequest(period.first, period.last, None, s.site, s.province), at)
        data = render(report, s.format, s.language)
        name = f"onestop-{s.id}-{period.id}.{s.format}"
        stored = self.files.store(name, data, self.base_url(), cfg.reports.link_expiry, now)
        vi, en, values = _texts(s, period, whole)
        tz = ZoneInfo(s.timezone)
        key = idempotency_key("report", s.id, period.id)
        n = Notification(
            site=SITE, site_name="onestop-monitor", province=s.province or "", timezone=s.timezone,
            rule=f"report:{s.id}", kind="report", status="summary", severity="info", at=now,
            starts_at=dt.datetime.combine(period.first, dt.time(0), tz).timestamp(),
            ends_at=dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(0), tz).timestamp(), seq=0,
            subject={"schedule": s.id, "period": period.id},
            values={**values, "file": {"name": stored.name, "url": stored.url, "size": stored.size}},
            summary_vi=vi, summary_en=en, key=key)
        file_info: dict[str, Any] = {
            "name": stored.name, "format": s.format, "media_type": MEDIA_TYPES[s.format], "size": stored.size,
            "sha256": stored.sha256, "url": stored.url,
            "expires_at": dt.datetime.fromtimestamp(stored.expires, tz).isoformat(timespec="seconds")}
        payload = {"version": "1", "source": "onestop-monitor", "kind": "report", "status": "summary", "key": key,
                   "schedule": s.id, "every": s.every,
                   "period": {"id": period.id, "from": period.first.isoformat(), "to": period.last.isoformat()},
                   "site": s.site, "province": s.province, "language": s.language,
                   "summary": {"vi": vi, "en": en}, "file": file_info, "report": whole}
        hooks = {h.id: h for h in cfg.reports.webhooks}
        outgoing = []
        for hid in s.webhooks:
            hook = hooks.get(hid)
            if hook is None:
                continue
            body = dict(payload)
            if hook.attach:
                body["file"] = {**file_info, "content_base64": base64.b64encode(data).decode("ascii")}
            outgoing.append(Outgoing(hid, "onestop", json.dumps(body, ensure_ascii=False, separators=(",", ":"))
                                     .encode("utf-8")))
        if s.email_to and cfg.reports.email is not None:
            mail = compose(cfg.reports.email, s, key, vi, en, stored.url, name, data, now)
            outgoing.append(Outgoing(f"{EMAIL_TARGET}:{s.id}", "email", mail))
        self.outbox.enqueue([(n, outgoing)], now, {state_key: state} if state_key and state is not None else None)
        log.info("scheduled report queued", extra={"schedule": s.id, "period": period.id, "key": key,
                                                   "targets": len(outgoing), "bytes": len(data)})
        return key

    # -- delivery --------------------------------------------------------------------------------------------

    def target(self, site: str, target: str) -> TargetSettings | None:
        """Resolve an outbox target of report rows (None for rows that are not ours)."""
        if site != SITE:
            return None
        with self._lock:
            rep = self.loaded.config.reports
        if target.startswith(f"{EMAIL_TARGET}:"):
            if rep.email is None:
                return None
            return TargetSettings(None, rep.retry_initial, rep.retry_max, rep.max_attempts, send=self.send_email)
        hook = next((h for h in rep.webhooks if h.id == target), None)
        if hook is None:
            return None
        as_webhook = WebhookConfig.model_validate({"id": hook.id, "url": hook.url, "secret_env": hook.secret_env,
                                                 "timeout": hook.timeout})
        return TargetSettings(as_webhook, rep.retry_initial, rep.retry_max, rep.max_attempts)

    def send_email(self, row: Delivery) -> SendOutcome:
        """Send one stored message over SMTP with the e-mail settings of the current config."""
        with self._lock:
            email, config_path = self.loaded.config.reports.email, self.loaded.path
        if email is None:
            return SendOutcome(False, "config_error", "reports.email is not configured")
        return send_mail(email, row.body, self.env, config_path)

    # -- the loop --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Check for due reports now and every CHECK_EVERY_S on a thread of its own."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="report-schedule", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            with self._lock:
                lifetime = self.loaded.config.reports.link_expiry
            try:
                self.files.purge(lifetime, self.clock())
            except OSError:
                log.exception("report file purge failed")
            self._stop.wait(CHECK_EVERY_S)

    def stop(self) -> None:
        """Stop the loop (a report being made is finished first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)
            self._thread = None

