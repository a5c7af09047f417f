import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from monitor.config import HolidayConfig, SiteConfig
from monitor.schedule.calendar import EXTRA_CLOSED_NAME, SiteCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC


def site(**kw):
    kw.setdefault("hours", {"mon-fri": ["07:30-11:30", "13:30-17:00"], "sat": ["07:30-11:30"]})
    kw.setdefault("holidays", HolidayConfig(closed=[dt.date(2026, 12, 4)],
                                            working=[dt.date(2026, 12, 6), dt.date(2027, 2, 10)]))
    return SiteConfig(id="coc-leu", name="Phường Cốc Lếu", **kw)


CAL = SiteCalendar(site())


def local(y, mo, d, h=0, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=VN)


@pytest.mark.parametrize("at, expected", [
    # Tuesday 1 Dec 2026: a plain weekday.
    (local(2026, 12, 1, 7, 29), False),
    (local(2026, 12, 1, 7, 30), True),
    (local(2026, 12, 1, 11, 29), True),
    (local(2026, 12, 1, 11, 30), False),   # lunch break: the gap between the spans
    (local(2026, 12, 1, 12, 30), False),
    (local(2026, 12, 1, 13, 30), True),
    (local(2026, 12, 1, 16, 59), True),
    (local(2026, 12, 1, 17, 0), False),
    (local(2026, 12, 1, 23, 0), False),
    # Saturday session: mornings only.
    (local(2026, 12, 5, 9, 0), True),
    (local(2026, 12, 5, 14, 0), False),
    (local(2026, 12, 13, 9, 0), False),    # Sunday
    (local(2026, 12, 4, 9, 0), False),     # Friday, but an extra closed day from config
    (local(2026, 12, 6, 9, 0), True),      # Sunday, but a make-up day from config
    (local(2026, 12, 6, 12, 0), False),    # make-up days have their own hours, with a lunch break
    (local(2026, 12, 6, 14, 0), True),
    # Tết Đinh Mùi 2027 (Mùng 1 = Sat 6 Feb): the holidays package gives 4-10 Feb.
    (local(2027, 2, 3, 9, 0), True),
    (local(2027, 2, 4, 9, 0), False),
    (local(2027, 2, 6, 9, 0), False),      # a Saturday with office hours, but Tết
    (local(2027, 2, 8, 9, 0), False),
    (local(2027, 2, 9, 14, 0), False),
    (local(2027, 2, 10, 9, 0), True),      # a Tết day turned into a make-up day in config
    (local(2027, 2, 11, 9, 0), True),
    # Other public holidays.
    (local(2027, 4, 16, 9, 0), False),     # Giỗ Tổ Hùng Vương (10/3 lunar)
    (local(2026, 4, 27, 9, 0), False),     # Hùng Kings day 2026 falls on Sunday, observed on Monday
    (local(2027, 4, 30, 9, 0), False),
    (local(2027, 5, 3, 9, 0), False),      # 1/5/2027 is a Saturday: observed on Monday
    (local(2026, 9, 1, 9, 0), False),
    (local(2026, 9, 2, 9, 0), False),
    (local(2026, 8, 22, 14, 0), True),     # a make-up Saturday published by the holidays package
    (local(2026, 8, 31, 9, 0), False),     # the day off it pays for
])
def test_is_open_table(at, expected):
    assert CAL.is_open(at) is expected


@pytest.mark.parametrize("day, vi, en", [
    (dt.date(2027, 2, 6), "Tết Nguyên Đán", "Lunar New Year"),
    (dt.date(2027, 2, 8), "Mùng ba Tết Nguyên Đán", "Third Day of Lunar New Year"),
    (dt.date(2027, 4, 16), "Ngày Giỗ Tổ Hùng Vương", "Hung Kings' Commemoration Day"),
    (dt.date(2026, 9, 2), "Quốc khánh", "National Day"),
])
def test_holiday_names_in_both_languages(day, vi, en, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en_US")  # the process locale must not change the default (Vietnamese)
    assert SiteCalendar(site()).holiday_name(day) == vi
    assert SiteCalendar(site(), language="vi").holiday_name(day) == vi
    assert SiteCalendar(site(), language="en_US").holiday_name(day) == en


def test_day_kinds_and_names():
    assert CAL.day_info(dt.date(2026, 12, 1)).kind == "regular"
    assert CAL.holiday_name(dt.date(2026, 12, 1)) is None
    info = CAL.day_info(dt.date(2026, 12, 4))
    assert (info.kind, info.name, info.spans) == ("closed", EXTRA_CLOSED_NAME, ())
    assert CAL.day_info(dt.date(2026, 12, 6)).kind == "makeup"
    assert CAL.day_info(dt.date(2026, 8, 22)).kind == "makeup"
    tet5 = CAL.day_info(dt.date(2027, 2, 10))  # open, yet still named after the holiday it replaces
    assert (tet5.kind, tet5.name) == ("makeup", "Mùng năm Tết Nguyên Đán")
    assert CAL.day_info(dt.date(2027, 2, 9)).kind == "holiday"


def test_closed_beats_make_up_when_a_date_is_in_both():
    day = dt.date(2026, 12, 6)
    cal = SiteCalendar(site(holidays=HolidayConfig(closed=[day], working=[day])))
    assert not cal.is_open(local(2026, 12, 6, 9))


def test_an_unknown_country_fails_at_construction():
    with pytest.raises(ValueError, match="no country 'XX'"):
        SiteCalendar(site(holidays=HolidayConfig(country="XX")))


def test_no_country_means_no_public_holidays():
    cal = SiteCalendar(site(holidays=HolidayConfig(country=None)))
    assert cal.is_open(local(2027, 2, 8, 9))
    assert cal.holiday_name(dt.date(2027, 2, 8)) is None
    assert not cal.is_open(local(2026, 8, 22, 14))  # no package make-up days either


@pytest.mark.parametrize("at, expected", [
    (dt.datetime(2026, 12, 1, 0, 30, tzinfo=UTC), True),     # 07:30 in Hanoi
    (dt.datetime(2026, 12, 1, 0, 29, tzinfo=UTC), False),
    (dt.datetime(2026, 12, 1, 9, 59, tzinfo=UTC), True),     # 16:59
    (dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC), False),    # 17:00
    (dt.datetime(2026, 11, 30, 23, 0, tzinfo=UTC), False),   # Monday 23:00 UTC is Tuesday 06:00 local
    (dt.datetime(2026, 12, 5, 17, 0, tzinfo=UTC), False),    # Sat 17:00 UTC is Sunday 00:00 local
    (dt.datetime(2026, 12, 1, 11, 0, tzinfo=ZoneInfo("Asia/Tokyo")), True),   # 09:00 local
    (dt.datetime(2027, 2, 8, 2, 0, tzinfo=UTC), False),      # Tết, 09:00 local
])
def test_aware_times_are_converted_to_the_site_timezone(at, expected):
    assert CAL.is_open(at) is expected


def test_naive_datetimes_are_an_error():
    with pytest.raises(ValueError, match="naive"):
        CAL.is_open(dt.datetime(2026, 12, 1, 9, 0))
    with pytest.raises(ValueError, match="naive"):
        CAL.next_change(dt.datetime(2026, 12, 1, 9, 0))


def test_spans_opening_and_closing_are_local_and_aware():
    day = dt.date(2026, 12, 1)
    assert CAL.spans(day) == [(local(2026, 12, 1, 7, 30), local(2026, 12, 1, 11, 30)),
                              (local(2026, 12, 1, 13, 30), local(2026, 12, 1, 17, 0))]
    assert all(s.tzinfo is not None and e.utcoffset() == dt.timedelta(hours=7) for s, e in CAL.spans(day))
    assert CAL.opening_time(day) == local(2026, 12, 1, 7, 30)
    assert CAL.closing_time(day) == local(2026, 12, 1, 17, 0)
    assert CAL.closing_time(dt.date(2026, 12, 5)) == local(2026, 12, 5, 11, 30)
    assert CAL.spans(dt.date(2026, 12, 13)) == []
    assert CAL.closing_time(dt.date(2027, 2, 8)) is None
    assert CAL.opening_time(dt.date(2026, 12, 4)) is None


def test_a_span_until_24_00_ends_at_midnight():
    cal = SiteCalendar(site(hours={"mon-fri": ["20:00-24:00"]}))
    assert cal.spans(dt.date(2026, 12, 1)) == [(local(2026, 12, 1, 20), local(2026, 12, 2, 0))]
    assert cal.is_open(local(2026, 12, 1, 23, 59) + dt.timedelta(seconds=59.9))
    assert not cal.is_open(local(2026, 12, 2, 0))


@pytest.mark.parametrize("at, expected", [
    (local(2026, 12, 1, 10), local(2026, 12, 1, 11, 30)),          # open -> lunch
    (local(2026, 12, 1, 11, 30), local(2026, 12, 1, 13, 30)),      # exactly at closing -> reopening
    (local(2026, 12, 1, 6), local(2026, 12, 1, 7, 30)),
    (local(2026, 12, 1, 17), local(2026, 12, 2, 7, 30)),
    (local(2026, 12, 3, 17), local(2026, 12, 5, 7, 30)),           # Friday is an extra closed day
    (local(2026, 12, 5, 11, 30), local(2026, 12, 6, 7, 30)),       # Sunday make-up day
    (local(2027, 2, 3, 17), local(2027, 2, 10, 7, 30)),            # through Tết to the make-up day
    (dt.datetime(2026, 12, 1, 3, 0, tzinfo=UTC), local(2026, 12, 1, 11, 30)),
])
def test_next_change(at, expected):
    got = CAL.next_change(at)
    assert got == expected and got.tzinfo is not None
    assert CAL.is_open(got) is not CAL.is_open(at)


def test_next_change_merges_touching_spans_even_across_midnight():
    cal = SiteCalendar(site(hours={"mon-fri": ["08:00-12:00", "12:00-17:00"]}))
    assert cal.next_change(local(2026, 12, 1, 9)) == local(2026, 12, 1, 17)
    night = SiteCalendar(site(hours={"mon": ["20:00-24:00"], "tue": ["00:00-06:00", "08:00-09:00"]},
                              holidays=HolidayConfig(country=None)))
    assert night.next_change(local(2026, 11, 30, 21)) == local(2026, 12, 1, 6)


def test_next_change_is_none_when_nothing_ever_changes():
    never = SiteCalendar(site(hours={}, holidays=HolidayConfig(country=None)))
    assert not never.is_open(local(2026, 12, 1, 9))
    assert never.next_change(local(2026, 12, 1, 9)) is None
    always = SiteCalendar(site(hours={"mon-sun": ["00:00-24:00"]}, holidays=HolidayConfig(country=None)))
    assert always.is_open(local(2026, 12, 1, 3))
    assert always.next_change(local(2026, 12, 1, 3)) is None


def test_a_walk_with_next_change_flips_state_every_time():
    at, seen = local(2027, 1, 28, 12), []
    for _ in range(30):
        nxt = CAL.next_change(at)
        assert nxt is not None and nxt > at
        assert CAL.is_open(nxt) is not CAL.is_open(nxt - dt.timedelta(microseconds=1))
        seen.append(nxt)
        at = nxt
    assert not any(dt.date(2027, 2, 4) <= t.date() <= dt.date(2027, 2, 9) for t in seen)  # Tết
