"""Per-minute history: ticks integrated exactly into minutes, gaps and closed time left out, SQLite upserts."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from monitor.pipeline.events import SiteTick
from monitor.reports.accumulate import MinuteAccumulator, minute_pieces
from monitor.reports.history import HISTORY_DB, SCHEMA_VERSION, HistoryError, HistoryStore
from tests.reports.helpers import MONDAY, local, snap


def test_an_interval_is_split_at_minute_boundaries() -> None:
    assert list(minute_pieces(59.0, 121.5)) == [(0, 1.0), (1, 60.0), (2, 1.5)]
    assert list(minute_pieces(10.0, 10.0)) == []


def test_each_snapshot_holds_until_the_next_and_minutes_get_exactly_their_seconds() -> None:
    acc = MinuteAccumulator({("w0", "q"): 4}, wait_target_s=600)
    start = local(MONDAY, 9, 0, 50)  # 09:00:50, ticks every 5 s until 09:02:10
    for i in range(17):
        serving = i < 8  # serving held 09:00:50-09:01:30, then waiting unstaffed
        acc.observe(SiteTick(snap("w0", start + dt.timedelta(seconds=5 * i),
                                  a="serving" if serving else "waiting_unstaffed", queue=5.0 if serving else 1.0)))
    batch = acc.take_all()
    m0 = int(start.timestamp() // 60)
    rows = {m - m0: r for (_, c, m), r in batch.counters.items() if c == "a"}
    assert [round(r.open_s, 6) for _, r in sorted(rows.items())] == [10.0, 60.0, 10.0]  # 80 s = 16 intervals
    assert rows[1].states == {"serving": 30.0, "waiting_unstaffed": 30.0}
    assert rows[0].states == {"serving": 10.0}
    assert rows[1].staffed_s == 30.0 and rows[1].staffed_known_s == 60.0
    zone = {m - m0: r for (_, z, m), r in batch.zones.items()}
    assert zone[1].over_s == 30.0  # 5 people >= threshold 4
    assert zone[1].people_s == 5.0 * 30 + 1.0 * 30
    assert zone[1].peak == 5.0 and zone[2].peak == 1.0


def test_closed_time_gaps_and_repeated_ticks_are_not_credited() -> None:
    acc = MinuteAccumulator()
    t = local(MONDAY, 11, 29, 50)
    acc.observe(SiteTick(snap("w0", t)))
    acc.observe(SiteTick(snap("w0", t)))  # the same instant again: ignored
    acc.observe(SiteTick(snap("w0", local(MONDAY, 11, 30, 0), open=False)))
    acc.observe(SiteTick(snap("w0", local(MONDAY, 11, 31, 0), open=False)))  # closed -> closed: nothing
    acc.observe(SiteTick(snap("w0", local(MONDAY, 13, 30, 0))))
    acc.observe(SiteTick(snap("w0", local(MONDAY, 13, 32, 0))))  # 120 s apart: the process was down
    acc.observe(SiteTick(snap("w0", local(MONDAY, 13, 32, 30))))
    batch = acc.take_all()
    totals = sum(r.open_s for (_, c, _), r in batch.counters.items() if c == "a")
    assert totals == 10.0 + 30.0


def test_unknown_state_and_staffing_count_as_unknown_seconds() -> None:
    acc = MinuteAccumulator()
    acc.observe(SiteTick(snap("w0", local(MONDAY, 9), a=None, queue=None)))
    acc.observe(SiteTick(snap("w0", local(MONDAY, 9, 0, 30))))
    batch = acc.take_all()
    a = next(r for (_, c, _), r in batch.counters.items() if c == "a")
    assert (a.open_s, a.unknown_s, a.known_s, a.staffed_known_s) == (30.0, 30.0, 0.0, 0.0)
    z = next(iter(batch.zones.values()))
    assert (z.open_s, z.known_s, z.peak) == (30.0, 0.0, None)


def test_waiting_with_no_officer_counts_as_wait_over_target_and_nobody_waiting_as_zero_wait() -> None:
    acc = MinuteAccumulator(wait_target_s=600)
    t0 = local(MONDAY, 9)
    seq = [dict(a="waiting_unstaffed", b="unstaffed", queue=3.0, wait=None),   # nobody staffed: unbounded
           dict(a="serving", b="unstaffed", queue=0.0, wait=None),             # nobody waits: 0
           dict(a="serving", b="unstaffed", queue=2.0, wait=700.0),            # over the 600 s target
           dict(a="serving", b="unstaffed", queue=1.0, wait=None)]             # can't estimate: left out
    for i, kw in enumerate(seq + [seq[-1]]):
        acc.observe(SiteTick(snap("w0", t0 + dt.timedelta(seconds=10 * i), **kw)))
    z = next(iter(acc.take_all().zones.values()))
    assert z.known_s == 40.0
    assert z.wait_over_s == 20.0
    assert z.wait_known_s == 20.0 and z.wait_ss == 700.0 * 10 and z.wait_peak == 700.0


def test_finished_minutes_are_handed_over_and_the_current_one_kept() -> None:
    acc = MinuteAccumulator()
    for s in range(0, 130, 10):
        acc.observe(SiteTick(snap("w0", local(MONDAY, 9, 0, s))))
    done = acc.take_finished()
    assert {m for (_, _, m) in done.counters} == {int(local(MONDAY, 9).timestamp() // 60) + i for i in (0, 1)}
    assert len(acc.take_all().counters) == 0  # 09:02:00 is the latest tick: nothing credited in minute 2 yet


def test_store_adds_to_a_minute_written_twice_and_keeps_peaks(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path)
    for part in range(2):  # a minute written at shutdown, then again after the restart
        acc = MinuteAccumulator({("w0", "q"): 4})
        acc.observe(SiteTick(snap("w0", local(MONDAY, 9, 0, 30 * part), queue=2.0 + 3 * part)))
        acc.finish("w0", local(MONDAY, 9, 0, 30 * part + 30).timestamp())
        store.write(acc.take_all())
    m = int(local(MONDAY, 9).timestamp() // 60)
    spans = [(m * 60.0, m * 60.0 + 60)]
    a = store.counter_totals("w0", spans)["a"]
    assert a.open_s == 60.0 and a.serving_s == 60.0
    z = store.zone_totals("w0", spans)["q"]
    assert z.peak == 5.0 and z.people_s == 2.0 * 30 + 5.0 * 30 and z.over_s == 30.0 and z.threshold == 4
    assert store.counts()["counter_minutes"] == 2  # one row per counter and minute


def test_schema_is_versioned_and_a_newer_database_is_refused(tmp_path: Path) -> None:
    HistoryStore(tmp_path).close()
    with sqlite3.connect(tmp_path / HISTORY_DB) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer than this program"):
        HistoryStore(tmp_path)


def test_prune_deletes_rows_older_than_the_retention(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path)
    for day in (MONDAY.replace(day=2), MONDAY):
        acc = MinuteAccumulator()
        acc.observe(SiteTick(snap("w0", local(day, 9))))
        acc.finish("w0", local(day, 9, 1).timestamp())
        store.write(acc.take_all())
    assert store.counts()["counter_minutes"] == 4
    assert store.prune(local(MONDAY, 0).timestamp()) == 3  # counters a and b and zone q of 2026-11-02
    assert store.counts()["counter_minutes"] == 2
