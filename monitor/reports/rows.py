"""One report row: the sums behind it (Agg) and the figure columns computed from them, None where data is missing."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .fields import ALERT_KINDS, COLUMNS, Level
from .history import CounterTotals, ZoneTotals

Row = dict[str, Any]


@dataclass
class Agg:
    """Sums behind one row (a counter, zone, site or province over one period)."""

    open_s: float = 0.0  # office seconds of the calendar (a province: summed over its wards)
    scheduled_s: float = 0.0  # office seconds x counters (the denominator of counter coverage)
    zone_scheduled_s: float = 0.0  # office seconds x queue zones
    counters: int = 0
    sites: int = 0
    ct: CounterTotals = field(default_factory=CounterTotals)
    zt: ZoneTotals = field(default_factory=ZoneTotals)
    queue_means: float | None = None  # sum of zone means
    durations: list[float] = field(default_factory=list)
    alerts: Counter[str] = field(default_factory=Counter)
    open_days: int = 0
    closed_days: int = 0
    statuses: set[str] = field(default_factory=set)

    def add(self, other: Agg) -> None:
        """Add another row's sums (site into province, period into a whole-range total)."""
        self.open_s += other.open_s
        self.scheduled_s += other.scheduled_s
        self.zone_scheduled_s += other.zone_scheduled_s
        self.ct = self.ct + other.ct
        self.zt = self.zt + other.zt
        if other.queue_means is not None:
            self.queue_means = (self.queue_means or 0.0) + other.queue_means
        self.durations += other.durations
        self.alerts.update(other.alerts)
        self.statuses |= other.statuses


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def ratio(num: float, den: float) -> float | None:
    """Return num / den, None when there is nothing to divide by."""
    return num / den if den > 0 else None


def p90(values: list[float]) -> float | None:
    """Return the 90th percentile by nearest rank (a value that occurred), None for no values.

    >>> p90([float(i) for i in range(1, 11)])
    9.0
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def figures(a: Agg, status: str) -> Row:
    """Return the figure columns of a row (None where there is no data, never a made-up zero)."""
    ct, zt = a.ct, a.zt
    has_data = status == "open"
    out: Row = {"open_h": _r(a.open_s / 3600, 2)}
    counter_sched = a.scheduled_s
    known = ct.known_s if a.counters else zt.known_s
    den = counter_sched if a.counters else a.zone_scheduled_s
    out["coverage"] = _r(min(1.0, known / den) if den > 0 else None, 4)
    if not has_data:
        out.update({k: None for k in ("staffed_ratio", "waiting_unstaffed_min", "serving_min", "idle_staffed_min",
                                      "unstaffed_min", "other_min", "served", "service_mean_s", "service_p90_s",
                                      "queue_mean", "queue_peak", "queue_over_share", "wait_mean_s", "wait_peak_s",
                                      "wait_over_share", "service_level")})
        out["no_data_min"] = _r(counter_sched / 60, 1) if status == "no_data" and a.counters else None
        out["alerts"] = {k: a.alerts.get(k, 0) for k in ALERT_KINDS} if status == "no_data" else None
        return out
    out["staffed_ratio"] = _r(ratio(ct.staffed_s, ct.staffed_known_s), 4)
    out["waiting_unstaffed_min"] = _r(ct.waiting_unstaffed_s / 60, 1)
    out["serving_min"] = _r(ct.serving_s / 60, 1)
    out["idle_staffed_min"] = _r(ct.idle_staffed_s / 60, 1)
    out["unstaffed_min"] = _r(ct.unstaffed_s / 60, 1)
    out["other_min"] = _r(ct.other_s / 60, 1)
    out["no_data_min"] = _r(max(0.0, counter_sched - ct.known_s) / 60, 1) if a.counters else None
    out["served"] = len(a.durations)
    out["service_mean_s"] = _r(sum(a.durations) / len(a.durations), 1) if a.durations else None
    out["service_p90_s"] = _r(p90(a.durations), 1)
    out["queue_mean"] = _r(a.queue_means, 2)
    out["queue_peak"] = zt.peak
    out["queue_over_share"] = _r(ratio(zt.over_s, zt.known_s), 4)
    out["wait_mean_s"] = _r(ratio(zt.wait_ss, zt.wait_known_s), 1)
    out["wait_peak_s"] = _r(zt.wait_peak, 1)
    out["wait_over_share"] = _r(ratio(zt.wait_over_s, zt.known_s), 4)
    level = out["wait_over_share"] if out["wait_over_share"] is not None else out["queue_over_share"]
    out["service_level"] = None if level is None else _r(1 - level, 4)
    out["alerts"] = {k: a.alerts.get(k, 0) for k in ALERT_KINDS}
    return out


def shape(level: Level, row: Row) -> Row:
    """Return a row with exactly its level's keys, in column order ('alerts' as one object), then extras.

    Extras are the ranking's ``main_issue_en`` and ``components``.
    """
    out: Row = {}
    for col in COLUMNS[level]:
        if col.key.startswith("alerts."):
            alerts = row.get("alerts")
            out["alerts"] = None if alerts is None else {k: alerts.get(k, 0) for k in (
                c.key.split(".", 1)[1] for c in COLUMNS[level] if c.key.startswith("alerts."))}
        else:
            out[col.key] = row.get(col.key)
    for extra in ("main_issue_en", "components"):
        if extra in row:
            out[extra] = row[extra]
    return out


def combined_status(statuses: set[str]) -> str:
    """Return the status of rows taken together: open over no data over future over closed."""
    for s in ("open", "no_data", "future"):
        if s in statuses:
            return s
    return "closed"

