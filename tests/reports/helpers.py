"""Builders for report tests: a two-counter ward and its snapshots, fed through the real accumulator and store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config import AppConfig
from monitor.pipeline.events import SiteTick
from monitor.reports.accumulate import MinuteAccumulator
from monitor.reports.history import HistoryStore
from monitor.state.model import CounterReading, SiteSnapshot, ZoneReading
from monitor.state.sessions import ServiceCompleted

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = dt.date(2026, 11, 30)  # an ordinary Monday; 2026-11-24 is a holiday, 2026-11-29 a Sunday


def config(sites: int = 1, **reports: Any) -> AppConfig:
    """Return wards w0.. of Lào Cai: counters a and b, camera c with queue zone 'q' (threshold rule 4 people)."""
    square = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]
    out = []
    for i in range(sites):
        out.append({
            "id": f"w{i}", "name": f"Phường Số {i}", "province": "Lào Cai",
            "counters": [{"id": "a", "name": "Quầy A"}, {"id": "b", "name": "Quầy B"}],
            "cameras": [{"id": f"c{i}", "url": "rtsp://cam/1", "zones": [
                {"id": "q", "kind": "queue", "polygon": square},
                {"id": "a-front", "kind": "service", "counter": "a", "polygon": square},
                {"id": "a-seat", "kind": "staff", "counter": "a", "polygon": square},
                {"id": "b-front", "kind": "service", "counter": "b", "polygon": square},
                {"id": "b-seat", "kind": "staff", "counter": "b", "polygon": square}]}],
            "alerts": {"rules": [{"kind": "long_queue", "zone": "q", "min_people": 4, "for": "5m"}]},
        })
    return AppConfig.model_validate({"sites": out, "reports": reports})


def snap(site: str, at: dt.datetime, *, open: bool = True, a: str | None = "serving", b: str | None = "unstaffed",
         queue: float | None = 1.0, wait: float | None = 60.0) -> SiteSnapshot:
    """Return a snapshot: counter states a/b (None unknown), queue people and estimated wait."""
    def reading(cid: str, state: str | None) -> CounterReading:
        staffed = None if state is None else state in ("serving", "idle_staffed")
        return CounterReading(site, cid, None, staffed, state if open else "closed", None, None)

    zones = {"q": ZoneReading(site, "c" + site[1:], "q", "queue", None, queue, None, 0.0,
                              wait if queue is not None else None)}
    return SiteSnapshot(site, at, open, zones, {"a": reading("a", a), "b": reading("b", b)})


def local(day: dt.date, hh: int, mm: int = 0, ss: float = 0.0) -> dt.datetime:
    """Return a local aware time on a day."""
    return dt.datetime.combine(day, dt.time(hh, mm), TZ) + dt.timedelta(seconds=ss)


def feed(store: HistoryStore, acc: MinuteAccumulator, site: str, start: dt.datetime, seconds: int,
         step: float = 1.0, services: dict[int, float] | None = None, **kw: Any) -> None:
    """Feed one snapshot every `step` s for `seconds` s (services: {second: duration} at counter a), write all."""
    t = 0.0
    while t < seconds:
        at = start + dt.timedelta(seconds=t)
        done = ()
        if services and int(t) in services:
            done = (ServiceCompleted("a", services[int(t)], at.timestamp()),)
        acc.observe(SiteTick(snap(site, at, **kw), done))
        t += step
    acc.finish(site, (start + dt.timedelta(seconds=seconds)).timestamp())
    store.write(acc.take_all())


def open_store(tmp: Path) -> HistoryStore:
    """Return a history store in a fresh folder."""
    return HistoryStore(tmp)
