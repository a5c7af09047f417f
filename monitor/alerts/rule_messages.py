"""The notifications alert rules send: a rule's event, or the resolution of a rule that is gone, with texts."""

from __future__ import annotations

from typing import Any

from ..config import AlertRule, SiteConfig, rule_id
from . import texts
from .conditions import subject_name, subject_of
from .notification import Notification, Status
from .rule_state import RuleState


def build_notification(site: SiteConfig, rule: AlertRule, status: Status, t: float, starts_at: float | None,
                       ends_at: float | None, seq: int, values: dict[str, Any],
                       reason: str | None = None) -> Notification:
    """Return the notification of a rule event with its bilingual summary."""
    return _message(site, rule_id(rule), rule.kind, rule.severity, subject_of(rule, site), subject_name(rule, site),
                    status=status, at=t, starts_at=starts_at, ends_at=ends_at, seq=seq, values=values,
                    reason=reason)


def orphan_resolution(site: SiteConfig, rid: str, old: RuleState) -> Notification:
    """Return the resolution of a firing, notified rule that a new config removed or changed."""
    t = old.last_t if old.last_t is not None else (old.started_at or 0.0)
    values = dict(old.values)
    values["duration_s"] = round(max(0.0, t - (old.since or old.started_at or t)), 3)
    name = old.name or next(iter(old.subject.values()), rid)
    return _message(site, rid, old.kind, old.severity, dict(old.subject), name, status="resolved", at=t,
                    starts_at=old.started_at, ends_at=t, seq=old.seq + 1, values=values, reason="config_changed")


def _message(site: SiteConfig, rid: str, kind: str, severity: str, subject: dict[str, str], name: str, *,
             status: Status, at: float, starts_at: float | None, ends_at: float | None, seq: int,
             values: dict[str, Any], reason: str | None) -> Notification:
    vi, en = texts.describe(kind, status, site.name, name, values, reason)
    return Notification(site=site.id, site_name=site.name, province=site.province, timezone=site.timezone,
                        rule=rid, kind=kind, status=status, severity=severity, at=at, starts_at=starts_at,
                        ends_at=ends_at, seq=seq, subject=subject, values={**values, "subject_name": name},
                        summary_vi=vi, summary_en=en, reason=reason)
