"""Daily summary: accumulation from snapshots, once per day per site, survives restarts without resending."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from monitor.alerts.alerting import Alerting
from monitor.alerts.summary import DailySummary
from monitor.metrics import Metrics
from monitor.schedule.calendar import SiteCalendar
from tests.alerts.helpers import TZ, make_site, snap
from tests.support.webhook_receiver import WebhookReceiver

QUEUE = {"kind": "long_queue", "zone": "waiting", "min_people": 5, "for": "10m", "clear_after": 0,
         "repeat_every": "4h"}


def day_snaps(day: dt.date, start: dt.time = dt.time(6, 0), end: dt.time = dt.time(19, 0)) -> list:
    """One snapshot a minute; officer present only before 10:00; a queue of 7 from 09:00 to 09:30."""
    site = make_site([QUEUE])
    calendar = SiteCalendar(site)
    out, served = [], 0
    at = dt.datetime.combine(day, start, TZ)
    while at.time() <= end:
        if calendar.is_open(at) and at.minute % 10 == 0:
            served += 1  # one citizen served every 10 open minutes
        queue = 7.0 if dt.time(9, 0) <= at.time() < dt.time(9, 30) else 1.0
        out.append(snap(at, open=calendar.is_open(at), queue=queue, staffed=at.time() < dt.time(10, 0),
                        served=served))
        at += dt.timedelta(minutes=1)
    return out


def test_accumulates_and_is_due_after_closing() -> None:
    site = make_site([QUEUE])
    summary = DailySummary(site, SiteCalendar(site))
    day = dt.date(2025, 5, 13)
    due_at: list[tuple[str, Any]] = []
    for s in day_snaps(day):
        n = summary.due(s.at)
        if n is not None and not due_at:
            due_at.append((s.at.strftime("%H:%M"), n))
        summary.observe(s)
    ((hhmm, n),) = due_at
    assert hhmm == "17:30"  # alerts.daily_summary_at, after the 17:00 closing
    v = n.values
    assert v["date"] == "2025-05-13" and v["open_s"] == 7.5 * 3600
    assert v["queue_peaks"] == {"waiting": {"people": 7.0, "at": "2025-05-13T09:00:00+07:00"}}
    desk = v["counters"]["desk-1"]
    assert desk["staffed_s"] == 2.5 * 3600 and desk["open_s"] == 7.5 * 3600
    assert desk["staffed_ratio"] == round(2.5 / 7.5, 4) and desk["unknown_s"] == 0
    assert v["served_total"] == desk["served"] == 45
    assert n.status == "summary" and "Tổng kết ngày 13/05/2025 (Phường Cốc Lếu)" in n.summary_vi
    assert "desk-1 33%" in n.summary_en
    summary.mark_sent("2025-05-13")
    assert summary.due(dt.datetime.combine(day, dt.time(18, 0), TZ)) is None


def test_no_summary_for_a_closed_day() -> None:
    site = make_site([QUEUE])
    summary = DailySummary(site, SiteCalendar(site))
    sunday = day_snaps(dt.date(2025, 5, 18))
    for s in sunday:
        assert summary.due(s.at) is None
        summary.observe(s)


def run_service(state_dir: Path, rx: WebhookReceiver, snaps: list) -> list:
    svc = Alerting([make_site([QUEUE], [{"id": "supervisors", "url": rx.url()}], retry_initial=0.05)],
                   state_dir, Metrics())
    try:
        out = [n for s in snaps for n in svc.process(s)]
        assert svc.flush(10)
    finally:
        svc.close()
    return out


def test_sent_once_per_day_across_restarts(tmp_path: Path, receiver: WebhookReceiver) -> None:
    snaps = day_snaps(dt.date(2025, 5, 13))
    half = next(i for i, s in enumerate(snaps) if s.at.time() == dt.time(12, 0))
    after = next(i for i, s in enumerate(snaps) if s.at.time() == dt.time(17, 45))
    first = run_service(tmp_path, receiver, snaps[:half])  # killed at noon, restarted
    second = run_service(tmp_path, receiver, snaps[half:after])
    third = run_service(tmp_path, receiver, snaps[after:])  # restarted after the summary went out
    kinds = [n.status for n in first + second + third]
    assert kinds.count("summary") == 1 and kinds.count("firing") == 1
    summaries = [r.json() for r in receiver.acked() if r.json()["status"] == "summary"]
    assert len(summaries) == 1
    v = summaries[0]["values"]
    # The morning (before the restart) is in the day's figures: nothing was lost.
    assert v["queue_peaks"]["waiting"]["people"] == 7.0 and v["open_s"] == 7.5 * 3600
    assert v["alerts_count"] == 1 and v["alerts"][0]["rule"] == "long_queue:waiting"


def test_missed_summary_goes_out_next_morning(tmp_path: Path, receiver: WebhookReceiver) -> None:
    tuesday = day_snaps(dt.date(2025, 5, 13), end=dt.time(17, 0))  # the process stopped at closing time
    wednesday = day_snaps(dt.date(2025, 5, 14), start=dt.time(7, 0), end=dt.time(7, 5))
    run_service(tmp_path, receiver, tuesday)
    assert all(r.json()["status"] != "summary" for r in receiver.acked())
    run_service(tmp_path, receiver, wednesday)
    summaries = [r.json() for r in receiver.acked() if r.json()["status"] == "summary"]
    assert [s["values"]["date"] for s in summaries] == ["2025-05-13"]
