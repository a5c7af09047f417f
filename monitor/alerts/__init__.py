"""Alerts stage: rule state machines, the SQLite outbox, webhook delivery, daily summaries."""

from .alerting import Alerting, RecentNotification, UnknownTarget
from .notification import Notification, idempotency_key
from .outbox import Outbox
from .payloads import alertmanager_payload, onestop_payload, sign, verify
from .rule_state import ActiveAlert
from .rules import RuleBook

__all__ = [
    "ActiveAlert", "RuleBook", "Alerting", "Notification", "Outbox", "RecentNotification",
    "UnknownTarget",    "alertmanager_payload", "idempotency_key", "onestop_payload", "sign", "verify",
]
