"""Daily summary of a site, accumulated from its snapshots (pure: time comes from the snapshots).

Per local date: open seconds, queue peak per queue zone, staffed/unknown seconds per counter while open
(staffed ratio = staffed seconds / open seconds), citizens served per counter, and the alerts that fired.
It is due once the later of ``alerts.daily_summary_at`` and the day's closing time has passed, for days the
site was seen open; a day left unsent (the process was down at summary time) goes out with the first
snapshot after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..config import SiteConfig
from ..schedule.calendar import SiteCalendar
from ..state.model import SiteSnapshot
from . import texts
from .notification import Notification, idempotency_key, iso_local
from .rules import GAP_LIMIT_S

MAX_ALERTS_LISTED = 100


@dataclass
class CounterDay:
    """One counter's day."""

    open_s: float = 0.0
    staffed_s: float = 0.0
    unknown_s: float = 0.0
    served: int = 0


@dataclass
class DayState:
    """Everything accumulated for one local date."""

    date: str
    open_s: float = 0.0
    queue_peaks: dict[str, dict[str, Any]] = field(default_factory=dict)  # zone -> {"people", "at"}
    counters: dict[str, CounterDay] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    alerts_count: int = 0


class DailySummary:
    """Accumulates one site's day and tells when its summary is due."""

    def __init__(self, site: SiteConfig, calendar: SiteCalendar) -> None:
        """Start empty; ``import_state`` restores a persisted day."""
        self.site = site
        self.calendar = calendar
        self.tz = ZoneInfo(site.timezone)
        self.day: DayState | None = None
        self.sent: str | None = None  # last date whose summary was sent (ISO)
        self.prev: dict[str, Any] | None = None  # the previous snapshot: t, open, staffed per counter
        self.totals: dict[str, int] = {}  # last served_total seen per counter (survives day changes)

    def send_at(self, day: dt.date) -> dt.datetime | None:
        """Return when the summary of ``day`` is due (local, aware), or None when summaries are off."""
        at = self.site.alerts.daily_summary_at
        if at is None:
            return None
        hh, mm = (int(x) for x in at.split(":"))
        planned = dt.datetime.combine(day, dt.time(hh, mm), self.tz)
        closing = self.calendar.closing_time(day)
        return max(planned, closing) if closing is not None else planned

    def observe(self, snap: SiteSnapshot) -> None:
        """Add the interval since the previous snapshot (at that snapshot's state) and this one's peaks."""
        t = snap.at.timestamp()
        local_day = snap.at.astimezone(self.tz).date().isoformat()
        if self.prev is not None and self.prev["t"] - t > GAP_LIMIT_S:
            self.prev, self.day = None, None  # time jumped back: a new timeline (a replay run again)
        if self.day is None or self.day.date != local_day:
            self.day = DayState(local_day)
        day = self.day
        prev = self.prev
        if prev is not None and 0 < t - prev["t"] <= GAP_LIMIT_S and prev["open"]:
            dt_s = t - prev["t"]
            day.open_s += dt_s
            for cid, staffed in prev["staffed"].items():
                c = day.counters.setdefault(cid, CounterDay())
                c.open_s += dt_s
                if staffed is None:
                    c.unknown_s += dt_s
                elif staffed:
                    c.staffed_s += dt_s
        if snap.open:
            for z in snap.zones.values():
                peak = day.queue_peaks.get(z.zone)
                if z.kind == "queue" and z.value is not None and (peak is None or z.value > peak["people"]):
                    day.queue_peaks[z.zone] = {"people": z.value, "at": t}
        for cid, reading in snap.counters.items():
            total, last = reading.served_total, self.totals.get(cid)
            if last is not None:
                # A smaller total means the tracker restarted from zero: what it counted since is all new.
                day.counters.setdefault(cid, CounterDay()).served += total - last if total >= last else total
            self.totals[cid] = total
        if prev is None or t > prev["t"]:
            staffed = {cid: c.staffed for cid, c in snap.counters.items()}
            self.prev = {"t": t, "open": snap.open, "staffed": staffed}

    def note(self, notifications: list[Notification]) -> None:
        """Record alerts of the day: a first firing notification adds one, a resolution sets its end."""
        if self.day is None:
            return
        for n in notifications:
            if n.status == "firing" and n.seq == 0:
                self.day.alerts_count += 1
                if len(self.day.alerts) < MAX_ALERTS_LISTED:
                    self.day.alerts.append({"rule": n.rule, "kind": n.kind, "severity": n.severity,
                                            "subject": dict(n.subject), "starts_at": n.starts_at,
                                            "ends_at": None})
            elif n.status == "resolved":
                for a in self.day.alerts:
                    if a["rule"] == n.rule and a["starts_at"] == n.starts_at:
                        a["ends_at"] = n.ends_at

    def due(self, at: dt.datetime) -> Notification | None:
        """Return the summary of the accumulated day if it is due at ``at`` and not sent yet, else None."""
        day = self.day
        if day is None or day.open_s <= 0 or self.sent == day.date:
            return None
        when = self.send_at(dt.date.fromisoformat(day.date))
        if when is None or at < when:
            return None
        return self._notification(day, at.timestamp())

    def mark_sent(self, date: str) -> None:
        """Remember that the summary of ``date`` went to the outbox."""
        self.sent = date

    def _notification(self, day: DayState, t: float) -> Notification:
        tz = self.site.timezone
        names = {c.id: c.name for c in self.site.counters}
        counters = {cid: {"name": names.get(cid), "open_s": round(c.open_s, 1),
                          "staffed_s": round(c.staffed_s, 1), "unknown_s": round(c.unknown_s, 1),
                          "served": c.served,
                          "staffed_ratio": round(c.staffed_s / c.open_s, 4) if c.open_s > 0 else None}
                    for cid, c in sorted(day.counters.items())}
        alerts = [{**a, "starts_at": iso_local(a["starts_at"], tz), "ends_at": iso_local(a["ends_at"], tz)}
                  for a in day.alerts]
        values: dict[str, Any] = {
            "date": day.date, "open_s": round(day.open_s, 1),
            "queue_peaks": {z: {"people": p["people"], "at": iso_local(p["at"], tz)}
                            for z, p in sorted(day.queue_peaks.items())},
            "counters": counters, "alerts": alerts, "alerts_count": day.alerts_count,
            "served_total": sum(c.served for c in day.counters.values()),
        }
        vi, en = texts.daily_summary(self.site.name, values)
        d = dt.date.fromisoformat(day.date)
        opening, closing = self.calendar.opening_time(d), self.calendar.closing_time(d)
        site = self.site
        starts = opening.timestamp() if opening else None
        ends = closing.timestamp() if closing else None
        return Notification(site=site.id, site_name=site.name, province=site.province, timezone=tz,
                            rule="daily_summary", kind="daily_summary", status="summary", severity="info", at=t,
                            starts_at=starts, ends_at=ends, seq=0, values=values, summary_vi=vi, summary_en=en,
                            key=idempotency_key(site.id, "daily_summary", day.date))

    # -- persistence -----------------------------------------------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        """Return JSON-ready state (persisted, so a restart neither loses the day nor resends its summary)."""
        return {"day": asdict(self.day) if self.day else None, "sent": self.sent, "prev": self.prev,
                "totals": dict(self.totals)}

    def import_state(self, data: dict[str, Any] | None) -> None:
        """Restore state from ``export_state``."""
        if not data:
            return
        raw = data.get("day")
        if raw:
            counters = {cid: CounterDay(**c) for cid, c in (raw.get("counters") or {}).items()}
            self.day = DayState(**{**raw, "counters": counters})
        self.sent = data.get("sent")
        self.prev = data.get("prev")
        self.totals = {k: int(v) for k, v in (data.get("totals") or {}).items()}
