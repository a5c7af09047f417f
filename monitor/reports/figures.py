"""Report figures per counter, queue zone, ward (site) and province, from the history, office hours only.

Office hours come from each site's calendar (monitor.schedule); a minute counts when it starts inside an
office-hour span, a service when it ended inside one, an alert on the local day it started firing. Periods in
the future (and today's hours not reached yet) are not office time yet. See ``fields`` for every definition.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..config import AppConfig, SiteConfig
from ..schedule.calendar import EXTRA_CLOSED_NAME, SiteCalendar
from .history import CounterTotals, HistoryStore, ZoneTotals
from .periods import By, Period, split
from .ranking import WEIGHTS, rank_sites
from .rows import Agg, Row, combined_status, figures, ratio, shape

SCHEMA = "onestop-report/1"


@dataclass(frozen=True)
class ReportRequest:
    """What a report covers: local dates first..last (inclusive), rows per period, optional site/province."""

    first: dt.date
    last: dt.date
    by: By | None = "day"
    site: str | None = None
    province: str | None = None


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
                status = combined_status({x.status for x in mine})
                provinces.append({"period": p.id, "province": prov, "status": status, "sites": len(mine),
                                  "counters": agg.counters, **figures(agg, status)})
        totals: dict[str, tuple[SiteConfig, Agg]] = {}
        for x in parts:
            site, agg = totals.setdefault(x.site.id, (x.site, Agg(counters=x.agg.counters)))
            agg.add(x.agg)
        ranking = rank_sites([(s, figures(a, combined_status(a.statuses)), a) for s, a in totals.values()],
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
                     queue_means=ratio(zt.people_s, zt.known_s),
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
