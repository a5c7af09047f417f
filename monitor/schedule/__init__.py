"""Office-hour calendar of a site: weekly hours, Vietnamese public holidays, closed and make-up days."""

from .calendar import EXTRA_CLOSED_NAME, DayInfo, DayKind, SiteCalendar

__all__ = ["EXTRA_CLOSED_NAME", "DayInfo", "DayKind", "SiteCalendar"]
