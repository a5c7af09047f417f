"""Builders for alert tests: a small site config and its snapshots at chosen instants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config import SiteConfig
from monitor.state.model import CameraReading, CounterReading, SiteSnapshot, ZoneReading

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TUESDAY_8AM = dt.datetime(2025, 5, 13, 8, 0, tzinfo=TZ)  # an ordinary working Tuesday

_UNSET: Any = object()


def make_site(rules: list[dict[str, Any]], webhooks: list[dict[str, Any]] | None = None,
              **alerts: Any) -> SiteConfig:
    """Return site 'coc-leu', camera hall-1 (queue 'waiting', service 'front-1', staff 'seat-1' of desk-1)."""
    square = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]
    return SiteConfig.model_validate({
        "id": "coc-leu", "name": "Phường Cốc Lếu", "province": "Lào Cai",
        "counters": [{"id": "desk-1", "name": "Quầy 1"}],
        "cameras": [{"id": "hall-1", "url": "rtsp://cam/1", "zones": [
            {"id": "waiting", "kind": "queue", "polygon": square},
            {"id": "front-1", "kind": "service", "counter": "desk-1", "polygon": square},
            {"id": "seat-1", "kind": "staff", "counter": "desk-1", "polygon": square}]}],
        "alerts": {"rules": rules, "webhooks": webhooks or [], **alerts},
    })


def snap(at: dt.datetime, *, open: bool = True, queue: float | None = 0.0, staffed: bool | None = True,
         front: float | None = _UNSET, session: float | None = None, camera_up: bool = True,
         served: int = 0) -> SiteSnapshot:
    """Return a snapshot of make_site()'s site; None values are unknown (stale camera)."""
    site = "coc-leu"
    if front is _UNSET:
        front = 1.0 if session is not None else 0.0
    zones = {"waiting": ZoneReading(site, "hall-1", "waiting", "queue", None, queue,
                                    None if queue is None else int(queue), 0.0)}
    counter = CounterReading(site, "desk-1", "Quầy 1", staffed, None if staffed is None else
                             ("serving" if staffed and front else "idle_staffed" if staffed else "unstaffed"),
                             front, session, served,
                             session_started_at=None if session is None else at.timestamp() - session)
    camera = CameraReading(site, "hall-1", camera_up, at.timestamp() if camera_up else None)
    return SiteSnapshot(site, at, open, zones, {"desk-1": counter}, {"hall-1": camera})


def minutes(m: float) -> dt.timedelta:
    """Return a timedelta of m minutes."""
    return dt.timedelta(minutes=m)


Spec = Sequence[tuple[float, Mapping[str, Any]]]
"""[(from_minute, snap kwargs)]: the snapshot arguments that apply from each minute on."""


def run(book: Any, start: dt.datetime, spec: Spec, step_s: float = 30.0,
        until_min: float | None = None) -> list[tuple[float, Any]]:
    """Feed snapshots every step_s; spec is [(from_minute, snap kwargs)]; return [(minute, notification)]."""
    out = []
    end = until_min if until_min is not None else spec[-1][0] + 1
    t = 0.0
    while t / 60 <= end + 1e-9:
        kwargs = next(kw for m, kw in reversed(spec) if t / 60 >= m - 1e-9)
        for n in book.evaluate(snap(start + dt.timedelta(seconds=t), **kwargs)):
            out.append((round(t / 60, 3), n))
        t += step_s
    return out
