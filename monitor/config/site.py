"""A site (one ward or commune one-stop office): calendar, counters, cameras, alerts."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from .alerts import AlertsConfig
from .base import ConfigModel
from .camera import CameraConfig

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_days(key: str) -> list[int]:
    """Return weekday numbers (Mon=0) for 'mon-fri', 'sat', 'mon,wed,fri' or 'mon-wed,sat'."""
    days: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            if a not in DAY_NAMES or b not in DAY_NAMES:
                raise ValueError(f"bad day range {part!r}: use names {', '.join(DAY_NAMES)}")
            i, j = DAY_NAMES.index(a), DAY_NAMES.index(b)
            if j < i:
                raise ValueError(f"day range {part!r} runs backwards")
            days.extend(range(i, j + 1))
        elif part in DAY_NAMES:
            days.append(DAY_NAMES.index(part))
        else:
            raise ValueError(f"bad day {part!r}: use names {', '.join(DAY_NAMES)}")
    return days


def parse_span(text: str) -> tuple[dt.time, dt.time]:
    """Return (start, end) of an 'HH:MM-HH:MM' span."""
    m = _SPAN_RE.match(text.strip())
    if not m:
        raise ValueError(f"bad time span {text!r}: use 'HH:MM-HH:MM'")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"bad time in span {text!r}")
    start = dt.time(h1, m1)
    end = dt.time.max if h2 == 24 else dt.time(h2, m2)
    if end <= start:
        raise ValueError(f"span {text!r} ends before it starts")
    return start, end


class CounterConfig(ConfigModel):
    """A service counter (quầy) of the site."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", title="Counter id",
                    description="Unique within the site.")
    name: str | None = Field(None, title="Name", description="E.g. 'Quầy 1 - Tư pháp, hộ tịch'.")


class HolidayConfig(ConfigModel):
    """Days the office is closed or exceptionally open."""

    country: str | None = Field("VN", title="Country",
                                description="Public holidays of this country from the `holidays` package "
                                            "(VN includes Tết and the lunar dates); null for none.")
    closed: list[dt.date] = Field(default_factory=list, title="Extra closed days",
                                  description="Dates closed besides public holidays (e.g. announced extra days off).")
    working: list[dt.date] = Field(default_factory=list, title="Make-up working days",
                                   description="Dates open with weekday hours although weekend or holiday "
                                               "(ngày làm bù).")
    working_hours: list[str] = Field(default_factory=lambda: ["07:30-11:30", "13:30-17:00"],
                                     title="Make-up day hours", description="Office hours on make-up days.")

    @field_validator("working_hours")
    @classmethod
    def _check_spans(cls, v: list[str]) -> list[str]:
        for span in v:
            parse_span(span)
        return v


class SiteConfig(ConfigModel):
    """One one-stop office."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", title="Site id",
                    description="Unique; used in metrics labels.")
    name: str = Field(title="Name", description="E.g. 'Phường Cốc Lếu'.")
    province: str = Field("", title="Province", description="Used by province-wide dashboards.")
    timezone: str = Field("Asia/Ho_Chi_Minh", title="Time zone", description="IANA time zone of the office.")
    hours: dict[str, list[str]] = Field(
        default_factory=lambda: {"mon-fri": ["07:30-11:30", "13:30-17:00"]}, title="Office hours",
        description="Day keys ('mon-fri', 'sat', 'mon,wed') to lists of 'HH:MM-HH:MM' spans; lunch is the gap.")
    holidays: HolidayConfig = Field(default_factory=HolidayConfig, title="Holidays",  # type: ignore[arg-type]
                                    description="Public holidays, extra closed days, make-up days.")
    counters: list[CounterConfig] = Field(default_factory=list, title="Counters", description="Service counters.")
    cameras: list[CameraConfig] = Field(default_factory=list, title="Cameras", description="Cameras of the site.")
    alerts: AlertsConfig = Field(default_factory=AlertsConfig, title="Alerts",  # type: ignore[arg-type]
                                 description="Alert rules and webhook targets.")

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    def weekly_hours(self) -> dict[int, list[tuple[dt.time, dt.time]]]:
        """Return office-hour spans per weekday (Mon=0), sorted."""
        out: dict[int, list[tuple[dt.time, dt.time]]] = {d: [] for d in range(7)}
        for key, spans in self.hours.items():
            for day in parse_days(key):
                out[day] = sorted(parse_span(s) for s in spans)
        return out
