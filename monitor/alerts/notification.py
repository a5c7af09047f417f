"""One alert notification: what happened, where, when, in two languages, with a stable idempotency key."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

Status = Literal["firing", "resolved", "test", "summary"]
STATUSES: tuple[Status, ...] = ("firing", "resolved", "test", "summary")


def idempotency_key(*parts: object) -> str:
    """Return the sha256 hex of the parts joined by '|'; the same parts give the same key on every retry.

    >>> idempotency_key("s", "long_queue:waiting", 1.0) == idempotency_key("s", "long_queue:waiting", 1.0)
    True
    """
    text = "|".join("" if p is None else repr(round(p, 3)) if isinstance(p, float) else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iso_local(ts: float | None, tz: str) -> str | None:
    """Return a unix time as ISO 8601 in the site's time zone with offset ('2025-05-12T09:10:00+07:00')."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, ZoneInfo(tz)).isoformat(timespec="seconds")


@dataclass(frozen=True, kw_only=True)
class Notification:
    """A message about one alert episode (or a test / daily summary) for every webhook target of its site.

    ``at`` is when it was produced on the rule clock (video time under ``replay``); ``starts_at`` when the
    alert began firing; ``ends_at`` when its condition went away (resolved only). ``seq`` counts the
    notifications of one episode (0 = first firing, 1.. = repeats, then the resolution): each has its own key.
    """

    site: str
    site_name: str
    province: str
    timezone: str
    rule: str  # rule id, or 'test' / 'daily_summary'
    kind: str  # long_queue | counter_unstaffed | long_service | camera_down | camera_moved | test | daily_summary
    status: Status
    severity: str
    at: float
    starts_at: float | None
    ends_at: float | None
    seq: int
    subject: dict[str, str] = field(default_factory=dict)  # e.g. {"zone": "waiting", "camera": "hall-1"}
    values: dict[str, Any] = field(default_factory=dict)
    summary_vi: str = ""
    summary_en: str = ""
    reason: str | None = None  # why it resolved: cleared | closed | config_changed
    target: str | None = None  # set only for messages meant for one target (tests)
    key: str = ""

    def __post_init__(self) -> None:
        """Fill in the key from the fields that identify the message (never from the send time)."""
        if not self.key:
            subject = ",".join(f"{k}={v}" for k, v in sorted(self.subject.items()))
            object.__setattr__(self, "key", idempotency_key(
                self.site, self.rule, subject, self.starts_at, self.status, self.seq, self.target))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (stored in the outbox, read back by ``from_dict``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notification:
        """Rebuild a notification stored by ``to_dict``."""
        return cls(**data)

    def to_json(self) -> str:
        """Return the notification as compact JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
