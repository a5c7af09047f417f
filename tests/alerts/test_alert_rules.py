"""Alert rule state machines on snapshot time (a fake clock): timing, hysteresis, unknown data, repeats."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from monitor.alerts.rules import RuleBook
from tests.alerts.helpers import TUESDAY_8AM, make_site, minutes, run, snap

Steps = list[tuple[float, dict[str, Any]]]
QUEUE = {"kind": "long_queue", "zone": "waiting", "min_people": 5, "for": "10m", "clear_after": "1m"}


def statuses(events: list) -> list[tuple[float, str, int]]:
    return [(m, n.status, n.seq) for m, n in events]


def test_long_queue_fires_after_for_and_resolves_after_hold_down() -> None:
    book = RuleBook(make_site([QUEUE]))
    events = run(book, TUESDAY_8AM, [(0, {"queue": 6}), (20, {"queue": 2})], until_min=30)
    assert statuses(events) == [(10.0, "firing", 0), (21.0, "resolved", 1)]
    firing, resolved = events[0][1], events[1][1]
    assert firing.starts_at == (TUESDAY_8AM + minutes(10)).timestamp()
    assert firing.summary_vi == "Hàng chờ dài tại khu vực 'waiting' (Phường Cốc Lếu): 6 người trong 10 phút"
    assert firing.summary_en == "Long queue in zone 'waiting' (Phường Cốc Lếu): 6 people for 10 minutes"
    assert firing.subject == {"zone": "waiting", "camera": "hall-1"}
    # The condition went away at minute 20; it resolves after one more minute of clear samples.
    assert resolved.ends_at == (TUESDAY_8AM + minutes(20)).timestamp()
    assert resolved.starts_at == firing.starts_at and resolved.reason == "cleared"
    assert resolved.key != firing.key


def test_flicker_around_threshold_neither_resolves_nor_refires() -> None:
    book = RuleBook(make_site([QUEUE]))
    # 6 then a count flickering 4/6 (4 is inside the hysteresis band), then short dips to 3 (< clear_after).
    spec: Steps = [(0, {"queue": 6})]
    spec += [(10 + i, {"queue": 4 if i % 2 else 6}) for i in range(10)]
    spec += [(20, {"queue": 3}), (20.5, {"queue": 6}), (21, {"queue": 3}), (21.5, {"queue": 5})]
    events = run(book, TUESDAY_8AM, spec, until_min=40)
    assert statuses(events) == [(10.0, "firing", 0)]
    assert book.firing() == {"long_queue:waiting": True}


def test_count_in_band_cancels_pending_and_restarts_timer() -> None:
    book = RuleBook(make_site([QUEUE]))
    events = run(book, TUESDAY_8AM, [(0, {"queue": 6}), (5, {"queue": 4}), (6, {"queue": 6})], until_min=20)
    assert statuses(events) == [(16.0, "firing", 0)]


def test_explicit_clear_below_keeps_firing_above_it() -> None:
    book = RuleBook(make_site([{**QUEUE, "clear_below": 2}]))
    spec: Steps = [(0, {"queue": 6}), (12, {"queue": 2}), (20, {"queue": 1})]
    events = run(book, TUESDAY_8AM, spec, until_min=25)
    assert statuses(events) == [(10.0, "firing", 0), (21.0, "resolved", 1)]


def test_unknown_data_holds_pending_without_advancing_it() -> None:
    book = RuleBook(make_site([QUEUE]))
    # Bad samples 0..4.5 (4.5 min held: the interval to the unknown sample at 5 does not count), 20 unknown
    # minutes, then bad again from 25: the missing 5.5 minutes are reached at 30.5.
    spec: Steps = [(0, {"queue": 6}), (5, {"queue": None}), (25, {"queue": 6})]
    events = run(book, TUESDAY_8AM, spec, until_min=40)
    assert statuses(events) == [(30.5, "firing", 0)]


def test_unknown_data_never_resolves_a_firing_alert() -> None:
    book = RuleBook(make_site([QUEUE]))
    spec: Steps = [(0, {"queue": 6}), (11, {"queue": None}), (60, {"queue": 0})]
    events = run(book, TUESDAY_8AM, spec, until_min=70)
    assert statuses(events) == [(10.0, "firing", 0), (61.0, "resolved", 1)]


def test_clear_time_counts_only_known_samples() -> None:
    book = RuleBook(make_site([{**QUEUE, "clear_after": "2m"}]))
    spec: Steps = [(0, {"queue": 6}), (12, {"queue": 0}), (13, {"queue": None}), (30, {"queue": 0})]
    events = run(book, TUESDAY_8AM, spec, until_min=40)
    # Clear samples 12 and 12.5 give 0.5 min (the interval ending on the unknown sample at 13 does not count);
    # after the gap 1.5 more are needed: resolves at 31.5, ending when it first cleared.
    assert statuses(events) == [(10.0, "firing", 0), (31.5, "resolved", 1)]
    assert events[1][1].ends_at == (TUESDAY_8AM + minutes(12)).timestamp()


def test_repeat_interval_while_firing() -> None:
    book = RuleBook(make_site([{**QUEUE, "repeat_every": "15m"}]))
    events = run(book, TUESDAY_8AM, [(0, {"queue": 7}), (50, {"queue": 0})], until_min=55)
    assert statuses(events) == [(10.0, "firing", 0), (25.0, "firing", 1), (40.0, "firing", 2),
                                (51.0, "resolved", 3)]
    assert len({n.key for _, n in events}) == 4
    assert {n.starts_at for _, n in events} == {(TUESDAY_8AM + minutes(10)).timestamp()}


def test_keys_are_deterministic() -> None:
    spec: Steps = [(0, {"queue": 6}), (20, {"queue": 0})]
    a = run(RuleBook(make_site([QUEUE])), TUESDAY_8AM, spec, until_min=25)
    b = run(RuleBook(make_site([QUEUE])), TUESDAY_8AM, spec, until_min=25)
    assert [n.key for _, n in a] == [n.key for _, n in b] and len(a) == 2


def test_long_service_uses_session_length() -> None:
    book = RuleBook(make_site([{"kind": "long_service", "counter": "desk-1", "for": "12m",
                                "clear_after": 0}]))
    out = []
    for m in range(0, 20):
        session = m * 60.0 if m < 15 else None  # a 14-minute session, then nobody
        out += [(m, n) for n in book.evaluate(snap(TUESDAY_8AM + minutes(m), session=session))]
    assert statuses(out) == [(12, "firing", 0), (15, "resolved", 1)]
    assert out[0][1].summary_en == "One citizen at counter 'Quầy 1' (Phường Cốc Lếu) for 12 minutes"


def _session_run(lengths_and_gaps: list[tuple[int, int]], **rule: Any) -> list[tuple[float, Any]]:
    """Feed back-to-back sessions of the given lengths (minutes), each followed by a gap (minutes, may be 0)."""
    book = RuleBook(make_site([{"kind": "long_service", "counter": "desk-1", "for": "12m", **rule}]))
    out: list[tuple[float, Any]] = []
    m = 0.0
    for length, gap in lengths_and_gaps:
        start = m
        while m < start + length:
            out += [(m, n) for n in book.evaluate(snap(TUESDAY_8AM + minutes(m), session=(m - start) * 60))]
            m += 0.5
        for _ in range(int(gap * 2)):
            out += [(m, n) for n in book.evaluate(snap(TUESDAY_8AM + minutes(m), session=None))]
            m += 0.5
    return out


def test_long_service_fires_once_per_session_and_resolves_when_it_ends() -> None:
    # Three long sessions; the next citizen arrives half a minute after the previous one leaves, well within the
    # default clear_after (1 m): each session still gets its own firing and resolution.
    out = _session_run([(14, 0.5), (13, 0.5), (20, 1)])
    assert statuses(out) == [(12, "firing", 0), (14, "resolved", 1), (26.5, "firing", 0), (27.5, "resolved", 1),
                             (40, "firing", 0), (48, "resolved", 1)]
    firings = [n for _, n in out if n.status == "firing"]
    assert len({n.key for _, n in out}) == 6
    assert [n.values["for_s"] for n in firings] == [720.0] * 3
    assert firings[0].values["counter"] == "desk-1" and firings[0].values["session_s"] == 720.0
    resolved = [n for _, n in out if n.status == "resolved"]
    # Each resolution ends at its session's last sample and reports the session's full length.
    assert [n.values["session_s"] for n in resolved] == [13.5 * 60, 12.5 * 60, 19.5 * 60]
    assert resolved[0].ends_at == (TUESDAY_8AM + minutes(13.5)).timestamp()
    assert {n.reason for n in resolved} == {"ended"}


def test_long_service_a_short_session_between_long_ones_stays_silent() -> None:
    out = _session_run([(13, 0.5), (5, 0.5), (13, 1)])
    assert [s for _, s, _ in statuses(out)] == ["firing", "resolved", "firing", "resolved"]


def test_long_service_repeats_within_one_session_and_closing_resolves() -> None:
    out = _session_run([(50, 1)], repeat_every="15m")
    assert statuses(out) == [(12, "firing", 0), (27, "firing", 1), (42, "firing", 2), (50, "resolved", 3)]
    book = RuleBook(make_site([{"kind": "long_service", "counter": "desk-1", "for": "12m"}]))
    events = run(book, TUESDAY_8AM, [(0, {"session": 0.0})], until_min=5)
    assert events == []
    lunch = TUESDAY_8AM.replace(hour=11, minute=0)
    events = []
    for m in range(0, 40):
        at = lunch + minutes(m)
        events += [(m, n) for n in book.evaluate(snap(at, session=m * 60.0, open=m < 30))]
    assert statuses(events) == [(12, "firing", 0), (30, "resolved", 1)]
    assert events[1][1].reason == "closed"


@pytest.mark.parametrize("waiting,expected", [
    ({"queue": 0, "front": 0}, []),
    ({"queue": 3, "front": 0}, [(15.0, "firing", 0)]),
    ({"queue": 0, "front": 1}, [(15.0, "firing", 0)]),
    ({"queue": None, "front": 0}, []),  # a stale queue camera is unknown, not "nobody waits"
])
def test_counter_unstaffed_only_when_waiting(waiting: dict, expected: list) -> None:
    book = RuleBook(make_site([{"kind": "counter_unstaffed", "counter": "desk-1", "for": "15m",
                                "only_when_waiting": True}]))
    events = run(book, TUESDAY_8AM, [(0, {"staffed": False, **waiting})], until_min=20)
    assert statuses(events) == expected


def test_counter_unstaffed_unknown_staffing_holds() -> None:
    book = RuleBook(make_site([{"kind": "counter_unstaffed", "counter": "desk-1", "for": "15m"}]))
    spec: Steps = [(0, {"staffed": False}), (10, {"staffed": None}), (40, {"staffed": False})]
    # 9.5 known minutes before the unknown half hour, 5.5 after it.
    assert statuses(run(book, TUESDAY_8AM, spec, until_min=50)) == [(45.5, "firing", 0)]


def test_camera_down_at_night_is_notified_when_the_office_opens() -> None:
    book = RuleBook(make_site([{"kind": "camera_down", "camera": "hall-1", "for": "5m"}]))
    night = dt.datetime(2025, 5, 13, 6, 0, tzinfo=TUESDAY_8AM.tzinfo)
    events = run(book, night, [(0, {"camera_up": False, "open": False}), (90, {"camera_up": False})],
                 until_min=100)
    assert statuses(events) == [(90.0, "firing", 0)]
    n = events[0][1]
    assert n.starts_at == (night + minutes(5)).timestamp()  # when it really started firing
    assert book.firing() == {"camera_down:hall-1": True}


def test_camera_down_that_recovers_at_night_is_never_notified() -> None:
    book = RuleBook(make_site([{"kind": "camera_down", "camera": "hall-1", "for": "5m"}]))
    spec: Steps = [(0, {"camera_up": False, "open": False}), (30, {"open": False}), (60, {})]
    assert run(book, TUESDAY_8AM, spec, until_min=70) == []


def test_camera_down_notify_when_closed() -> None:
    book = RuleBook(make_site([{"kind": "camera_down", "camera": "hall-1", "for": "5m",
                                "notify_when_closed": True, "clear_after": 0}]))
    events = run(book, TUESDAY_8AM, [(0, {"camera_up": False, "open": False}), (20, {"open": False})],
                 until_min=25)
    assert statuses(events) == [(5.0, "firing", 0), (20.0, "resolved", 1)]
    assert events[0][1].summary_vi.startswith("Camera 'hall-1' mất tín hiệu (Phường Cốc Lếu) trong 5 phút")


def test_out_of_order_snapshots_are_ignored() -> None:
    book = RuleBook(make_site([{**QUEUE, "for": 0}]))
    assert len(book.evaluate(snap(TUESDAY_8AM, queue=6))) == 1
    assert book.evaluate(snap(TUESDAY_8AM, queue=0)) == []
    assert book.evaluate(snap(TUESDAY_8AM - minutes(1), queue=0)) == []
    assert book.firing() == {"long_queue:waiting": True}


def test_state_round_trip_continues_the_episode() -> None:
    spec: Steps = [(0, {"queue": 6}), (20, {"queue": 0})]
    whole = run(RuleBook(make_site([QUEUE])), TUESDAY_8AM, spec, until_min=25)
    first = RuleBook(make_site([QUEUE]))
    part1 = run(first, TUESDAY_8AM, [(0, {"queue": 6})], until_min=15)
    second = RuleBook(make_site([QUEUE]))
    assert second.import_state(first.export_state()) == []
    part2 = [(m, n) for m, n in run(second, TUESDAY_8AM, spec, until_min=25) if m > 15]
    assert [n.key for _, n in part1 + part2] == [n.key for _, n in whole]


def test_reload_keeps_state_for_soft_changes_and_resolves_changed_rules() -> None:
    first = RuleBook(make_site([QUEUE]))
    run(first, TUESDAY_8AM, [(0, {"queue": 6})], until_min=12)
    state = first.export_state()
    softer = RuleBook(make_site([{**QUEUE, "repeat_every": "5m", "severity": "critical"}]))
    assert softer.import_state(state) == []
    assert softer.firing() == {"long_queue:waiting": True}
    changed = RuleBook(make_site([{**QUEUE, "min_people": 8}]))
    orphans = changed.import_state(state)
    assert [(n.status, n.reason, n.rule) for n in orphans] == [
        ("resolved", "config_changed", "long_queue:waiting")]
    assert changed.firing() == {"long_queue:waiting": False}
    removed = RuleBook(make_site([])).import_state(state)
    assert removed[0].subject == {"zone": "waiting", "camera": "hall-1"}


def test_far_older_snapshot_starts_a_new_timeline() -> None:
    book = RuleBook(make_site([{**QUEUE, "for": 0}]))
    first = run(book, TUESDAY_8AM, [(0, {"queue": 6})], until_min=20)
    again = run(book, TUESDAY_8AM, [(0, {"queue": 6})], until_min=20)  # the same video replayed
    assert [n.status for _, n in first] == [n.status for _, n in again] == ["firing"]
    assert first[0][1].key == again[0][1].key  # the receiver can tell it is the same alert
