"""Report figures from real history rows: office hours only, closed days closed, coverage, ranking, periods."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.pipeline.events import SiteTick
from monitor.reports.accumulate import MinuteAccumulator
from monitor.reports.figures import ReportBuilder, ReportRequest
from monitor.reports.history import HistoryStore
from monitor.reports.periods import previous, split
from monitor.reports.ranking import WEIGHTS, score
from monitor.reports.rows import p90
from tests.reports.helpers import MONDAY, config, feed, local, snap

NOW = local(MONDAY + dt.timedelta(days=1), 7)  # Tuesday 07:00: Monday is over
HOLIDAY, SUNDAY = dt.date(2026, 11, 24), dt.date(2026, 11, 29)


@pytest.fixture()
def store(tmp_path: Path) -> HistoryStore:
    s = HistoryStore(tmp_path)
    yield s
    s.close()


def by_key(rows: list[dict], **match: object) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def test_a_day_of_figures_from_the_minutes(store: HistoryStore) -> None:
    cfg = config()
    acc = MinuteAccumulator({("w0", "q"): 4}, 600)
    # 09:00-09:10: a serving, b unstaffed, 5 people waiting (over 4), estimated wait 300 s.
    feed(store, acc, "w0", local(MONDAY, 9), 600, services={100: 60.0, 200: 120.0, 300: 180.0}, queue=5.0,
         wait=300.0)
    # 10:00-10:05: a waits unstaffed, 2 people, nobody at any counter: an unbounded wait.
    feed(store, acc, "w0", local(MONDAY, 10), 300, a="waiting_unstaffed", queue=2.0, wait=None)
    # 12:00-12:05 is the lunch break: recorded as open by a wrong clock, left out by the calendar.
    feed(store, acc, "w0", local(MONDAY, 12), 300, a="serving")
    report = ReportBuilder(cfg, store).build(ReportRequest(MONDAY, MONDAY, "day"), NOW)
    a = by_key(report["counters"], counter="a")
    assert a["status"] == "open" and a["open_h"] == 7.5
    assert (a["serving_min"], a["waiting_unstaffed_min"], a["idle_staffed_min"], a["unstaffed_min"]) == (
        10.0, 5.0, 0.0, 0.0)
    assert a["no_data_min"] == 450 - 15
    assert a["coverage"] == round(15 / 450, 4)
    assert a["staffed_ratio"] == round(10 / 15, 4)
    assert (a["served"], a["service_mean_s"], a["service_p90_s"]) == (3, 120.0, 180.0)
    b = by_key(report["counters"], counter="b")
    assert b["served"] == 0 and b["service_mean_s"] is None and b["staffed_ratio"] == 0.0
    z = by_key(report["zones"], zone="q")
    assert z["queue_peak"] == 5.0 and z["threshold"] == 4
    assert z["queue_mean"] == round((5 * 600 + 2 * 300) / 900, 2)
    assert z["queue_over_share"] == round(600 / 900, 4)
    assert z["wait_over_share"] == round(300 / 900, 4)  # the unbounded wait is over the target
    assert z["wait_mean_s"] == 300.0
    site = by_key(report["sites"], site="w0")
    assert site["waiting_unstaffed_min"] == 5.0 and site["unstaffed_min"] == 15.0  # counter-minutes
    assert site["served"] == 3 and site["coverage"] == round(30 / 900, 4)
    assert site["staffed_ratio"] == round(10 / 30, 4)
    assert site["service_level"] == round(1 - 300 / 900, 4)


def test_closed_days_are_closed_not_zero_and_days_without_data_say_so(store: HistoryStore) -> None:
    cfg = config()
    acc = MinuteAccumulator()
    feed(store, acc, "w0", local(MONDAY, 9), 120)
    # Rows on a holiday (a replay started there) are outside office hours: never counted.
    feed(store, acc, "w0", local(HOLIDAY, 9), 120)
    report = ReportBuilder(cfg, store).build(ReportRequest(HOLIDAY - dt.timedelta(days=1), MONDAY, "day"), NOW)
    sites = {r["period"]: r for r in report["sites"]}
    hol = sites[HOLIDAY.isoformat()]
    assert hol["status"] == "closed" and hol["closed_reason"] == "Ngày Văn hóa Việt Nam"
    assert hol["served"] is None and hol["staffed_ratio"] is None and hol["open_h"] == 0.0
    assert sites[SUNDAY.isoformat()]["closed_reason"] == "weekend"
    gap = sites["2026-11-25"]
    assert gap["status"] == "no_data" and gap["coverage"] == 0.0 and gap["no_data_min"] == 2 * 450
    assert gap["served"] is None  # no data is not zero service
    assert sites[MONDAY.isoformat()]["status"] == "open"
    week = ReportBuilder(cfg, store).build(ReportRequest(HOLIDAY - dt.timedelta(days=1), MONDAY, "week"), NOW)
    w48 = by_key(week["sites"], period="2026-W48")
    assert (w48["open_days"], w48["closed_days"], w48["status"]) == (4, 3, "no_data")


def test_hours_not_reached_yet_are_not_office_time(store: HistoryStore) -> None:
    cfg = config()
    feed(store, MinuteAccumulator(), "w0", local(MONDAY, 9), 600)
    now = local(MONDAY, 9, 10)
    r = ReportBuilder(cfg, store).build(ReportRequest(MONDAY, MONDAY + dt.timedelta(days=1), "day"), now)
    today, tomorrow = r["sites"]
    assert today["open_h"] == round(100 / 60, 2) and today["coverage"] == 0.1  # 10 of the 100 min since 07:30
    assert tomorrow["status"] == "future" and tomorrow["open_h"] == 0.0


def test_alerts_are_counted_by_kind_and_subject(store: HistoryStore) -> None:
    cfg = config()
    acc = MinuteAccumulator()

    class Note:
        def __init__(self, key: str, kind: str, subject: dict, at: float) -> None:
            self.key, self.kind, self.subject, self.at = key, kind, subject, at
            self.rule, self.status, self.seq = f"{kind}:x", "firing", 0

    t = local(MONDAY, 9)
    acc.observe(SiteTick(snap("w0", t), notifications=(Note("k1", "long_queue", {"zone": "q"}, t.timestamp()),
                                                        Note("k2", "counter_unstaffed", {"counter": "b"},
                                                             t.timestamp()))))
    acc.observe(SiteTick(snap("w0", t + dt.timedelta(seconds=5)),
                         notifications=(Note("k3", "counter_unstaffed", {"counter": "b"}, t.timestamp() + 5),)))
    store.write(acc.take_all())
    r = ReportBuilder(cfg, store).build(ReportRequest(MONDAY, MONDAY, None), NOW)
    assert r["sites"][0]["alerts"] == {"long_queue": 1, "counter_unstaffed": 2, "long_service": 0, "camera_down": 0}
    assert by_key(r["counters"], counter="b")["alerts"] == {"counter_unstaffed": 2, "long_service": 0}
    assert r["zones"][0]["alerts"] == {"long_queue": 1}


def test_ranking_orders_wards_by_the_composite_and_sets_aside_thin_data(store: HistoryStore) -> None:
    cfg = config(sites=4, min_coverage=0.5)
    acc = MinuteAccumulator({(f"w{i}", "q"): 4 for i in range(4)}, 900)
    day = [(7, 30, 240), (13, 30, 210)]  # the whole office day: coverage 1
    for site, kw in (("w0", dict(a="serving", b="serving", queue=1.0, wait=100.0)),
                     ("w1", dict(a="serving", b="waiting_unstaffed", queue=2.0, wait=100.0)),
                     ("w2", dict(a="serving", b="serving", queue=6.0, wait=1200.0))):
        for hh, mm, minutes in day:
            feed(store, acc, site, local(MONDAY, hh, mm), minutes * 60, step=30.0, **kw)
    feed(store, acc, "w3", local(MONDAY, 9), 3600, step=30.0)  # one hour seen: coverage 2/15
    r = ReportBuilder(cfg, store).build(ReportRequest(MONDAY, MONDAY, "day"), NOW)
    ranking = r["ranking"]
    assert [x["site"] for x in ranking] == ["w0", "w2", "w1", "w3"]
    assert [x["rank"] for x in ranking] == [1, 2, 3, None]
    w0, w2, w1, w3 = ranking
    assert w0["score"] == 100.0 and w0["main_issue"] is None
    assert w1["components"] == {"staffed_ratio": 0.5, "waiting_unstaffed": 0.5, "service_level": 1.0}
    assert w1["score"] == round(100 * (0.4 * 0.5 + 0.3 * 0.5 + 0.3 * 1.0), 1)
    assert "vắng cán bộ" in w1["main_issue"] and w1["waiting_unstaffed_min"] == 450.0
    assert w2["components"]["service_level"] == 0.0 and "Chờ quá mục tiêu" in w2["main_issue"]
    assert w3["ranked"] is False and w3["coverage"] == round(60 / 450, 4)


def test_score_renormalises_over_the_components_with_data() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    assert score({"staffed_ratio": 0.5, "waiting_unstaffed": None, "service_level": None}) == 50.0
    assert score({"staffed_ratio": None, "waiting_unstaffed": None, "service_level": None}) is None


def test_periods_days_weeks_months() -> None:
    assert [p.id for p in split(dt.date(2026, 11, 29), dt.date(2026, 12, 1), "day")] == [
        "2026-11-29", "2026-11-30", "2026-12-01"]
    weeks = split(dt.date(2026, 11, 29), dt.date(2026, 12, 8), "week")
    assert [(p.id, p.first.day, p.last.day) for p in weeks] == [("2026-W48", 29, 29), ("2026-W49", 30, 6),
                                                                ("2026-W50", 7, 8)]
    assert [p.id for p in split(dt.date(2026, 1, 31), dt.date(2026, 3, 1), "month")] == [
        "2026-01", "2026-02", "2026-03"]
    assert previous("day", MONDAY).id == "2026-11-29"
    assert previous("week", MONDAY).id == "2026-W48"
    assert previous("month", dt.date(2027, 1, 5)).id == "2026-12"
    with pytest.raises(ValueError, match="before it starts"):
        split(MONDAY, SUNDAY, "day")


def test_p90_is_a_value_that_occurred() -> None:
    assert p90([5.0]) == 5.0
    assert p90([float(x) for x in range(1, 21)]) == 18.0
    assert p90([]) is None
