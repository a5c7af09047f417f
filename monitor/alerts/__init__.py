"""Alerts stage: rule state machines, the SQLite outbox, webhook delivery, daily summaries."""

from .notification import Notification, idempotency_key
from .outbox import Outbox
from .payloads import alertmanager_payload, onestop_payload, sign, verify
from .rule_state import ActiveAlert
from .rules import RuleBook
from .service import AlertService, RecentNotification, UnknownTarget

__all__ = [
    "ActiveAlert", "RuleBook", "AlertService", "Notification", "Outbox", "RecentNotification",
    "UnknownTarget",    "alertmanager_payload", "idempotency_key", "onestop_payload", "sign", "verify",
]
