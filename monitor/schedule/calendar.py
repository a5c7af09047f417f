"""Office-hour calendar of a site: weekly hours, public holidays, extra closed days, make-up working days."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

from monitor.config.site import SiteConfig, parse_span

DayKind = Literal["regular", "holiday", "closed", "makeup"]
Span = tuple[dt.datetime, dt.datetime]

EXTRA_CLOSED_NAME = "Extra closed day"
# Far enough to cross any realistic run of closed days (a long Tết, a site closed for months) without looping
# forever on a site that has no office hours at all.
SEARCH_DAYS = 400


@dataclass(frozen=True)
class DayInfo:
    """How one local date is treated: kind, holiday name and office-hour spans (local, aware)."""

    day: dt.date
    kind: DayKind  # regular week day, public holiday, extra closed day (config) or make-up working day
    name: str | None  # public holiday name (also on a make-up day that is a holiday) or EXTRA_CLOSED_NAME
    spans: tuple[Span, ...]


class SiteCalendar:
    """Answer 'is site S open at time T' from its config.

    Precedence for a date: an extra closed day (``holidays.closed``) is closed; else a make-up day
    (``holidays.working``, or a make-up Saturday published by the ``holidays`` package) is open with
    ``holidays.working_hours``; else a public holiday is closed; else the weekly hours apply.
    """

    def __init__(self, site: SiteConfig, language: str | None = None) -> None:
        """Build from a site config; ``language`` picks holiday names ('vi', 'en_US'; default: the country's).

        Without a language the ``holidays`` package would follow the process locale (LANG), so names would
        differ between machines; the country's default language (Vietnamese for VN) keeps them stable.
        """
        self.site_id = site.id
        self.tz = ZoneInfo(site.timezone)
        self._weekly = site.weekly_hours()
        self._closed = frozenset(site.holidays.closed)
        self._working = frozenset(site.holidays.working)
        self._working_hours = sorted(parse_span(s) for s in site.holidays.working_hours)
        self._public: holidays.HolidayBase | None = None
        country = site.holidays.country
        if country is not None:
            try:
                cls = type(holidays.country_holidays(country))  # no year loaded yet: cheap
            except NotImplementedError as exc:
                raise ValueError(f"site {site.id!r}: holidays package has no country {country!r}") from exc
            self._public = holidays.country_holidays(
                country, language=language or getattr(cls, "default_language", None))
        self._years: set[int] = set()
        # The holidays object loads years lazily; the pipeline, the API and the alert thread may ask at once.
        self._lock = threading.Lock()

    def _public_holidays(self, year: int) -> holidays.HolidayBase | None:
        if self._public is None:
            return None
        with self._lock:
            if year not in self._years:
                _ = dt.date(year, 1, 1) in self._public  # a lookup loads the year (holidays, make-up days)
                self._years.add(year)
        return self._public

    def _local(self, at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
            raise ValueError(f"naive datetime {at.isoformat()}: pass a timezone-aware time (e.g. UTC)")
        return at.astimezone(self.tz)

    def _spans(self, day: dt.date, times: list[tuple[dt.time, dt.time]]) -> tuple[Span, ...]:
        out = []
        for start, end in times:
            # A span written as ending at 24:00 is parsed as time.max; it really ends at the next midnight.
            if end == dt.time.max:
                end_dt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), self.tz)
            else:
                end_dt = dt.datetime.combine(day, end, self.tz)
            out.append((dt.datetime.combine(day, start, self.tz), end_dt))
        return tuple(out)

    def day_info(self, day: dt.date) -> DayInfo:
        """Return how ``day`` (a local date) is treated, with its office-hour spans."""
        public = self._public_holidays(day.year)
        name = public.get(day) if public is not None else None
        if day in self._closed:
            return DayInfo(day, "closed", name or EXTRA_CLOSED_NAME, ())
        package_makeup = public is not None and day in public.weekend_workdays and name is None
        if day in self._working or package_makeup:
            return DayInfo(day, "makeup", name, self._spans(day, self._working_hours))
        if name is not None:
            return DayInfo(day, "holiday", name, ())
        return DayInfo(day, "regular", None, self._spans(day, self._weekly[day.weekday()]))

    def spans(self, day: dt.date) -> list[Span]:
        """Return the office-hour spans of a local date as aware local (start, end) pairs; [] when closed."""
        return list(self.day_info(day).spans)

    def holiday_name(self, day: dt.date) -> str | None:
        """Return the public holiday name of ``day``, EXTRA_CLOSED_NAME for an extra closed day, or None."""
        return self.day_info(day).name

    def opening_time(self, day: dt.date) -> dt.datetime | None:
        """Return when the office first opens on ``day`` (local, aware), or None when closed all day."""
        spans = self.day_info(day).spans
        return spans[0][0] if spans else None

    def closing_time(self, day: dt.date) -> dt.datetime | None:
        """Return when the office closes for the day on ``day`` (local, aware), None when closed all day."""
        spans = self.day_info(day).spans
        return spans[-1][1] if spans else None

    def is_open(self, at: dt.datetime) -> bool:
        """Return whether the site is open at the aware instant ``at`` (lunch is the gap between spans).

        >>> from monitor.config import SiteConfig
        >>> cal = SiteCalendar(SiteConfig(id="s", name="S"))
        >>> cal.is_open(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc))  # Tuesday 09:00 in Hanoi
        True
        """
        local = self._local(at)
        return any(start <= local < end for start, end in self.day_info(local.date()).spans)

    def next_change(self, at: dt.datetime) -> dt.datetime | None:
        """Return the next instant after ``at`` when the site opens or closes (local, aware).

        Back-to-back spans (one ending when the next starts, also across midnight) are one opening. None when
        the state does not change within SEARCH_DAYS days (a site without office hours).
        """
        local = self._local(at)
        open_now = self.is_open(at)
        day = local.date()
        chain_end: dt.datetime | None = None  # end of the opening holding `at`, extended while spans touch
        for offset in range(SEARCH_DAYS):
            for start, end in self.day_info(day + dt.timedelta(days=offset)).spans:
                if end <= local:
                    continue
                if open_now:
                    if chain_end is None and start <= local:
                        chain_end = end
                    elif chain_end is not None and start == chain_end:
                        chain_end = end
                    elif chain_end is not None:
                        return chain_end
                elif start > local:
                    return start
        return None  # always open or always closed as far as we looked
