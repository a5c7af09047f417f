"""GET /api/v1/alerts (active and recent alerts) and POST /api/v1/alerts/test (a test webhook)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from ...alerts.alerting import Alerting, RecentNotification, UnknownTarget
from ...alerts.notification import Notification
from ...alerts.rule_state import ActiveAlert
from ..auth import Principal, require
from ..deps import AppParts, get_parts

router = APIRouter(prefix="/api/v1", tags=["alerts"])

StatusFilter = Literal["firing", "resolved", "test", "summary"]


class DeliveryOut(BaseModel):
    """Where one notification stands with one webhook target."""

    target: str
    state: str = Field(description="pending, sending, delivered or failed (gave up after max_attempts).")
    attempts: int
    last_status: int | None = Field(description="HTTP status of the last attempt, if any.")
    last_error: str | None
    delivered_at: dt.datetime | None


class NotificationOut(BaseModel):
    """A notification as stored in the outbox."""

    key: str = Field(description="Idempotency key, also sent as the Idempotency-Key header.")
    site: str
    rule: str
    kind: str
    status: str
    severity: str
    at: dt.datetime
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    sequence: int
    subject: dict[str, str]
    values: dict[str, Any]
    summary_vi: str
    summary_en: str
    reason: str | None
    deliveries: list[DeliveryOut]


class ActiveAlertOut(BaseModel):
    """A pending or firing alert."""

    site: str
    rule: str
    kind: str
    phase: Literal["pending", "firing"]
    severity: str
    subject: dict[str, str]
    since: dt.datetime | None = Field(description="When the condition was first seen in this episode.")
    starts_at: dt.datetime | None = Field(description="When it started firing (null while pending).")
    last_notified: dt.datetime | None
    notified: bool = Field(description="False for a camera_down alert that fired while the office is closed.")
    values: dict[str, Any]


class AlertsOut(BaseModel):
    """Active alerts and recent notifications, newest first."""

    active: list[ActiveAlertOut]
    recent: list[NotificationOut]


class AlertTestIn(BaseModel):
    """Which target gets a test notification."""

    model_config = ConfigDict(extra="forbid")
    site: str = Field(min_length=1, description="Site id.")
    target: str = Field(min_length=1, description="Webhook target id of that site.")


class AlertTestOut(BaseModel):
    """A queued test notification."""

    key: str
    site: str
    target: str
    queued: bool


def _alerts(parts: AppParts) -> Alerting:
    if parts.alerts is None:
        raise HTTPException(503, "alerting is not running in this process")
    alerts: Alerting = parts.alerts
    return alerts


def _time(ts: float | None, tz: str) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, ZoneInfo(tz))


def _at(ts: float, tz: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, ZoneInfo(tz))


def notification_out(item: RecentNotification) -> NotificationOut:
    """Build the response model of a stored notification."""
    n: Notification = item.notification
    tz = n.timezone
    deliveries = [DeliveryOut(target=d.target, state=d.state, attempts=d.attempts, last_status=d.last_status,
                              last_error=d.last_error, delivered_at=_time(d.delivered_at, tz))
                  for d in item.deliveries]
    return NotificationOut(key=n.key, site=n.site, rule=n.rule, kind=n.kind, status=n.status,
                           severity=n.severity, at=_at(n.at, tz), starts_at=_time(n.starts_at, tz),
                           ends_at=_time(n.ends_at, tz), sequence=n.seq, subject=n.subject, values=n.values,
                           summary_vi=n.summary_vi, summary_en=n.summary_en, reason=n.reason,
                           deliveries=deliveries)


def active_out(a: ActiveAlert, tz: str) -> ActiveAlertOut:
    """Build the response model of an active alert."""
    phase: Literal["pending", "firing"] = "firing" if a.phase == "firing" else "pending"
    return ActiveAlertOut(site=a.site, rule=a.rule, kind=a.kind, phase=phase, severity=a.severity,
                          subject=a.subject, since=_time(a.since, tz), starts_at=_time(a.starts_at, tz),
                          last_notified=_time(a.last_notified, tz), notified=a.notified, values=a.values)


PartsDep = Annotated[AppParts, Depends(get_parts)]
SiteQ = Annotated[str | None, Query(description="Only this site id")]
RuleQ = Annotated[str | None, Query(description="Only this rule id, e.g. 'long_queue:waiting'")]
StatusQ = Annotated[StatusFilter | None, Query(description="Only recent notifications of this status")]
LimitQ = Annotated[int, Query(ge=1, le=1000, description="How many recent notifications at most")]


@router.get("/alerts", response_model=AlertsOut, summary="Active alerts and recent notifications")
def get_alerts(parts: PartsDep, _: Annotated[Principal, Depends(require("viewer"))],
               site: SiteQ = None, rule: RuleQ = None, status: StatusQ = None,
               limit: LimitQ = 100) -> AlertsOut:
    """Return pending/firing alerts and the latest notifications with their delivery state."""
    alerts = _alerts(parts)
    sites = alerts.sites()
    if site is not None and site not in sites:
        raise HTTPException(404, f"unknown site {site!r}; sites: {sorted(sites) or 'none'}")
    active = [active_out(a, sites[a.site].timezone) for a in alerts.active(site)
              if rule is None or a.rule == rule]
    recent = [notification_out(r) for r in alerts.recent(site, rule, status, limit)]
    return AlertsOut(active=active, recent=recent)


@router.post("/alerts/test", response_model=AlertTestOut, status_code=202,
             summary="Queue a test notification to one webhook target (admin)")
def post_alert_test(body: AlertTestIn, parts: PartsDep,
                    _: Annotated[Principal, Depends(require("admin"))]) -> AlertTestOut:
    """Queue a test notification; it is delivered (and retried) like any other through the outbox."""
    alerts = _alerts(parts)
    try:
        key = alerts.send_test(body.site, body.target)
    except UnknownTarget as exc:
        raise HTTPException(404, str(exc)) from None
    return AlertTestOut(key=key, site=body.site, target=body.target, queued=True)
