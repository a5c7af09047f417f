"""Report figures per counter, queue zone, ward (site) and province, from the history, office hours only.

Office hours come from each site's calendar (monitor.schedule); a minute counts when it starts inside an
office-hour span, a service when it ended inside one, an alert on the local day it started firing. Periods in
the future (and today's hours not reached yet) are not office time yet. See ``fields`` for every definition.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..config import AppConfig, SiteConfig
from ..schedule.calendar import EXTRA_CLOSED_NAME, SiteCalendar
from .fields import ALERT_KINDS, COLUMNS, Level
from .history import CounterTotals, HistoryStore, ZoneTotals
from .periods import By, Period, split
from .ranking import WEIGHTS, rank_sites

SCHEMA = "onestop-report/1"
Row = dict[str, Any]


@dataclass(frozen=True)
class ReportRequest:
    """What a report covers: local dates first..last (inclusive), rows per period, optional site/province."""

    first: dt.date
    last: dt.date
    by: By | None = "day"
    site: str | None = None
    province: str | None = None


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


def _ratio(num: float, den: float) -> float | None:
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
    out["staffed_ratio"] = _r(_ratio(ct.staffed_s, ct.staffed_known_s), 4)
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
    out["queue_over_share"] = _r(_ratio(zt.over_s, zt.known_s), 4)
    out["wait_mean_s"] = _r(_ratio(zt.wait_ss, zt.wait_known_s), 1)
    out["wait_peak_s"] = _r(zt.wait_peak, 1)
    out["wait_over_share"] = _r(_ratio(zt.wait_over_s, zt.known_s), 4)
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


def _status(statuses: set[str]) -> str:
    for s in ("open", "no_data", "future"):
        if s in statuses:
            return s
    return "closed"


@dataclass
class _SitePeriod:
    site: SiteConfig
    period: Period
    agg: Agg
    status: str
    closed_reason: str | None
    counters: list[Row]
    zones: list[Row]


class ReportBuilder:
    """Computes a report from one state directory's history for the sites of a config."""

    def __init__(self, cfg: AppConfig, store: HistoryStore) -> None:
        """Read ``store`` for the sites of ``cfg``."""
        self.cfg = cfg
        self.store = store
        self._calendars: dict[str, SiteCalendar] = {}

    def _calendar(self, site: SiteConfig) -> SiteCalendar:
        cal = self._calendars.get(site.id)
        if cal is None:
            cal = self._calendars[site.id] = SiteCalendar(site)
        return cal

    def sites(self, req: ReportRequest) -> list[SiteConfig]:
        """Return the sites a request covers (ValueError naming the choices for an unknown site/province)."""
        sites = list(self.cfg.sites)
        if req.site is not None:
            sites = [s for s in sites if s.id == req.site]
            if not sites:
                raise ValueError(f"unknown site {req.site!r}; sites: {sorted(s.id for s in self.cfg.sites)}")
        if req.province is not None:
            sites = [s for s in sites if s.province == req.province]
            if not sites:
                raise ValueError(f"no site in province {req.province!r}; provinces: "
                                 f"{sorted({s.province for s in self.cfg.sites})}")
        return sites

    def build(self, req: ReportRequest, now: dt.datetime) -> Row:
        """Return the report as a JSON-ready dict (schema ``onestop-report/1``, see the README)."""
        periods = split(req.first, req.last, req.by)
        sites = self.sites(req)
        parts = [self._site_period(s, p, now) for p in periods for s in sites]
        provinces: list[Row] = []
        for p in periods:
            for prov in sorted({s.province for s in sites}):
                mine = [x for x in parts if x.period == p and x.site.province == prov]
                agg = Agg(sites=len(mine))
                for x in mine:
                    agg.add(x.agg)
                    agg.counters += x.agg.counters
                status = _status({x.status for x in mine})
                provinces.append({"period": p.id, "province": prov, "status": status, "sites": len(mine),
                                  "counters": agg.counters, **figures(agg, status)})
        totals: dict[str, tuple[SiteConfig, Agg]] = {}
        for x in parts:
            site, agg = totals.setdefault(x.site.id, (x.site, Agg(counters=x.agg.counters)))
            agg.add(x.agg)
        ranking = rank_sites([(s, figures(a, _status(a.statuses)), a) for s, a in totals.values()],
                             self.cfg.reports.min_coverage)
        return {
            "schema": SCHEMA,
            "generated_at": now.isoformat(timespec="seconds"),
            "from": req.first.isoformat(), "to": req.last.isoformat(), "by": req.by,
            "site": req.site, "province": req.province,
            "settings": {"wait_target_s": self.cfg.reports.wait_target,
                         "queue_threshold_default": self.cfg.reports.queue_threshold,
                         "min_coverage": self.cfg.reports.min_coverage, "ranking_weights": dict(WEIGHTS)},
            "periods": [{"id": p.id, "from": p.first.isoformat(), "to": p.last.isoformat()} for p in periods],
            "provinces": [shape("province", r) for r in provinces],
            "sites": [shape("site", self._site_row(x)) for x in parts],
            "counters": [shape("counter", r) for x in parts for r in x.counters],
            "zones": [shape("zone", r) for x in parts for r in x.zones],
            "ranking": [shape("ranking", r) for r in ranking],
        }

    @staticmethod
    def _site_row(x: _SitePeriod) -> Row:
        return {"period": x.period.id, "province": x.site.province, "site": x.site.id, "site_name": x.site.name,
                "status": x.status, "closed_reason": x.closed_reason, "open_days": x.agg.open_days,
                "closed_days": x.agg.closed_days, "counters": x.agg.counters, **figures(x.agg, x.status)}

    def _spans(self, site: SiteConfig, period: Period, now: dt.datetime) -> tuple[list[tuple[float, float]], int,
                                                                                   int, str | None, bool]:
        """Return past office spans (unix), open and closed day counts, a closed reason, any future hours."""
        cal = self._calendar(site)
        spans: list[tuple[float, float]] = []
        open_days = closed_days = 0
        reason: str | None = None
        future = False
        now_ts = now.timestamp()
        for day in period.days():
            info = cal.day_info(day)
            if not info.spans:
                closed_days += 1
                reason = info.name if info.kind in ("holiday", "closed") and info.name else \
                    EXTRA_CLOSED_NAME if info.kind == "closed" else "weekend" if day.weekday() >= 5 else \
                    "no office hours"
                continue
            open_days += 1
            for start, end in info.spans:
                a, b = start.timestamp(), min(end.timestamp(), now_ts)
                if b > a:
                    spans.append((a, b))
                if end.timestamp() > now_ts:
                    future = True
        if open_days or len(period.days()) > 1:
            reason = None if open_days else "closed"
        return spans, open_days, closed_days, reason, future

    def _site_period(self, site: SiteConfig, period: Period, now: dt.datetime) -> _SitePeriod:
        spans, open_days, closed_days, reason, future = self._spans(site, period, now)
        scheduled = sum(b - a for a, b in spans)
        counters = self.store.counter_totals(site.id, spans) if spans else {}
        zones = self.store.zone_totals(site.id, spans) if spans else {}
        durations = self.store.services(site.id, spans) if spans else {}
        tz = ZoneInfo(site.timezone)
        day0 = dt.datetime.combine(period.first, dt.time(0), tz).timestamp()
        day1 = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(0), tz).timestamp()
        alerts = [(k, r, json.loads(subj)) for k, r, subj in self.store.alerts(site.id, day0, day1)]

        def status_of(known: float) -> str:
            if not open_days:
                return "closed"
            if scheduled <= 0:
                return "future"
            return "open" if known > 0 else "no_data"

        counter_rows: list[Row] = []
        site_agg = Agg(open_s=scheduled, open_days=open_days, closed_days=closed_days, counters=len(site.counters),
                       sites=1)
        for c in site.counters:
            a = Agg(open_s=scheduled, scheduled_s=scheduled, counters=1, ct=counters.get(c.id, CounterTotals()),
                    durations=durations.get(c.id, []),
                    alerts=Counter(k for k, _, subj in alerts if subj.get("counter") == c.id))
            st = status_of(a.ct.known_s)
            a.statuses.add(st)
            counter_rows.append({"period": period.id, "site": site.id, "site_name": site.name, "counter": c.id,
                                 "counter_name": c.name, "status": st,
                                 "closed_reason": reason if st == "closed" else None, **figures(a, st)})
            site_agg.scheduled_s += a.scheduled_s
            site_agg.ct = site_agg.ct + a.ct
            site_agg.durations += a.durations
        zone_rows: list[Row] = []
        queue_zones = [(cam.id, z) for cam in site.cameras for z in cam.zones if z.kind == "queue"]
        for cam_id, z in queue_zones:
            zt = zones.get(z.id, ZoneTotals())
            za = Agg(open_s=scheduled, zone_scheduled_s=scheduled, zt=zt,
                     queue_means=_ratio(zt.people_s, zt.known_s),
                     alerts=Counter(k for k, _, subj in alerts if subj.get("zone") == z.id))
            st = status_of(zt.known_s)
            zf = figures(za, st)
            zone_rows.append({"period": period.id, "site": site.id, "site_name": site.name, "zone": z.id,
                              "camera": cam_id, "counter": z.counter, "status": st, "open_h": zf["open_h"],
                              "coverage": zf["coverage"], "queue_mean": zf["queue_mean"],
                              "queue_peak": zf["queue_peak"],
                              "threshold": zt.threshold if zt.threshold is not None else None,
                              "queue_over_share": zf["queue_over_share"], "wait_mean_s": zf["wait_mean_s"],
                              "wait_peak_s": zf["wait_peak_s"], "wait_over_share": zf["wait_over_share"],
                              "alerts": {"long_queue": za.alerts.get("long_queue", 0)}})
            site_agg.zone_scheduled_s += scheduled
            site_agg.zt = site_agg.zt + zt
            if za.queue_means is not None:
                site_agg.queue_means = (site_agg.queue_means or 0.0) + za.queue_means
        site_agg.alerts = Counter(k for k, _, _ in alerts)
        known = site_agg.ct.known_s + site_agg.zt.known_s
        status = status_of(known)
        site_agg.statuses.add(status)
        return _SitePeriod(site, period, site_agg, status, reason if status == "closed" else None, counter_rows,
                           zone_rows)
