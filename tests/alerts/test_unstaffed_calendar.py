"""counter_unstaffed gated by the real office-hour calendar: opening, lunch, Sunday, Tết; camera_down."""

from __future__ import annotations

import datetime as dt

from monitor.alerts.rules import RuleBook
from monitor.schedule.calendar import SiteCalendar
from tests.alerts.helpers import TZ, make_site, snap

RULE = {"kind": "counter_unstaffed", "counter": "desk-1", "for": "15m", "clear_after": "2m",
        "repeat_every": "4h"}


def day_events(day: dt.date, rules: list[dict], **kwargs: object) -> list[tuple[str, str, str | None]]:
    """Feed a snapshot a minute 06:00-19:00, open from the calendar; return [(HH:MM, status, reason)]."""
    site = make_site(rules)
    calendar = SiteCalendar(site)
    book = RuleBook(site)
    out: list[tuple[str, str, str | None]] = []
    at = dt.datetime.combine(day, dt.time(6, 0), TZ)
    while at.time() <= dt.time(19, 0):
        for n in book.evaluate(snap(at, open=calendar.is_open(at), **kwargs)):  # type: ignore[arg-type]
            out.append((at.strftime("%H:%M"), n.status, n.reason))
        at += dt.timedelta(minutes=1)
    return out


def test_unstaffed_all_day_fires_after_each_opening_and_closing_resolves() -> None:
    events = day_events(dt.date(2025, 5, 13), [RULE], staffed=False)  # an ordinary Tuesday
    assert events == [("07:45", "firing", None), ("11:30", "resolved", "closed"),
                      ("13:45", "firing", None), ("17:00", "resolved", "closed")]


def test_no_unstaffed_alert_on_sunday_or_during_tet() -> None:
    assert day_events(dt.date(2025, 5, 18), [RULE], staffed=False) == []  # Sunday
    assert day_events(dt.date(2025, 1, 29), [RULE], staffed=False) == []  # first day of Tết Ất Tỵ


def test_saturday_session_when_configured() -> None:
    site = make_site([RULE]).model_copy(update={"hours": {"mon-fri": ["07:30-11:30", "13:30-17:00"],
                                                          "sat": ["07:30-11:30"]}})
    calendar, book = SiteCalendar(site), RuleBook(site)
    start = dt.datetime(2025, 5, 17, 7, 0, tzinfo=TZ)  # Saturday
    statuses = []
    for m in range(0, 300):
        at = start + dt.timedelta(minutes=m)
        statuses += [(at.strftime("%H:%M"), n.status) for n in
                     book.evaluate(snap(at, open=calendar.is_open(at), staffed=False))]
    assert statuses == [("07:45", "firing"), ("11:30", "resolved")]


def test_camera_down_overnight_notified_at_opening_and_repeated_only_while_open() -> None:
    events = day_events(dt.date(2025, 5, 13), [{"kind": "camera_down", "camera": "hall-1", "for": "5m"}],
                        camera_up=False)
    # Fired silently at 06:05; first told at opening, then hourly (the default repeat) except over lunch.
    assert [(hhmm, status) for hhmm, status, _ in events] == [
        ("07:30", "firing"), ("08:30", "firing"), ("09:30", "firing"), ("10:30", "firing"),
        ("13:30", "firing"), ("14:30", "firing"), ("15:30", "firing"), ("16:30", "firing")]
