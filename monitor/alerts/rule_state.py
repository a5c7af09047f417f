"""The state of one alert rule instance (plain data, persisted as JSON), and what makes a rule a new one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ..config import AlertRule, rule_id

Phase = Literal["inactive", "pending", "firing", "resolved"]
STATE_VERSION = 1
# Changing these keeps a rule's state on reload (they only shape future notifications); others restart it.
_SOFT_FIELDS = {"repeat_every", "clear_after", "severity", "notify_when_closed"}


def rule_fingerprint(rule: AlertRule) -> str:
    """Return a hash of the fields that define what the rule watches (kind, subject, thresholds, for)."""
    data = {k: v for k, v in rule.model_dump(by_alias=True).items() if k not in _SOFT_FIELDS}
    data["id"] = rule_id(rule)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class RuleState:
    """Mutable state of one rule instance; plain data so it round-trips through JSON."""

    fingerprint: str = ""
    kind: str = ""
    subject: dict[str, str] = field(default_factory=dict)
    name: str = ""  # display name of the subject, for a resolution sent after the rule is gone
    severity: str = "warning"
    phase: Phase = "inactive"
    since: float | None = None  # when the condition was first seen bad in this episode
    held_s: float = 0.0  # known-bad seconds while pending
    started_at: float | None = None  # when it started firing
    clear_since: float | None = None  # first clear sample while firing
    clear_s: float = 0.0  # known-clear seconds while firing
    last_t: float | None = None
    last_obs: str | None = None  # label of the sample at last_t: bad|clear|band|unknown|closed
    seq: int = 0
    notified: bool = False
    last_notified: float | None = None
    resolved_at: float | None = None
    values: dict[str, Any] = field(default_factory=dict)
    episode: float | None = None  # per-session rules: start of the session this alert is about
    done_episode: float | None = None  # the last session already alerted on (never alerted twice)


@dataclass(frozen=True)
class ActiveAlert:
    """A pending or firing alert, for the API."""

    site: str
    rule: str
    kind: str
    phase: Phase
    severity: str
    subject: dict[str, str]
    since: float | None
    starts_at: float | None
    last_notified: float | None
    notified: bool
    values: dict[str, Any]
