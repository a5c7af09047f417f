"""Report periods: a date range cut into days, ISO weeks or calendar months (local dates, inclusive)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

By = Literal["day", "week", "month"]
MAX_DAYS = 800


@dataclass(frozen=True)
class Period:
    """One row period: an id ('2026-12-01', '2026-W49', '2026-12') and its first and last local date."""

    id: str
    first: dt.date
    last: dt.date

    def days(self) -> list[dt.date]:
        """Return every date of the period."""
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def _period_of(day: dt.date, by: By) -> Period:
    if by == "day":
        return Period(day.isoformat(), day, day)
    if by == "week":
        year, week, weekday = day.isocalendar()
        monday = day - dt.timedelta(days=weekday - 1)
        return Period(f"{year}-W{week:02d}", monday, monday + dt.timedelta(days=6))
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(f"{day.year}-{day.month:02d}", first, nxt - dt.timedelta(days=1))


def split(first: dt.date, last: dt.date, by: By | None) -> list[Period]:
    """Return the periods covering [first, last], clipped to it; one period for the whole range when by is None.

    >>> [p.id for p in split(dt.date(2026, 11, 30), dt.date(2026, 12, 8), "week")]
    ['2026-W49', '2026-W50']
    """
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"the range is longer than {MAX_DAYS} days")
    if by is None:
        label = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
        return [Period(label, first, last)]
    out: list[Period] = []
    day = first
    while day <= last:
        p = _period_of(day, by)
        clipped = Period(p.id, max(p.first, first), min(p.last, last))
        out.append(clipped)
        day = p.last + dt.timedelta(days=1)
    return out


def previous(every: By, today: dt.date) -> Period:
    """Return the last complete period before ``today``: yesterday, last ISO week, or last month.

    >>> previous("month", dt.date(2026, 12, 1)).id
    '2026-11'
    """
    return _period_of(today - dt.timedelta(days=1) if every == "day" else
                      today - dt.timedelta(days=today.isoweekday()) if every == "week" else
                      today.replace(day=1) - dt.timedelta(days=1), every)
