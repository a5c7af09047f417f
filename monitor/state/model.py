"""Typed readings of one site at one instant: what metrics, the API and alert rules all read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

CounterState = Literal["serving", "waiting_unstaffed", "idle_staffed", "unstaffed", "closed"]
COUNTER_STATES: tuple[CounterState, ...] = (
    "serving", "waiting_unstaffed", "idle_staffed", "unstaffed", "closed")


@dataclass(frozen=True)
class ZoneReading:
    """Smoothed people count of one zone; value None means unknown (camera stale), never zero."""

    site: str
    camera: str
    zone: str
    kind: str  # queue | service | staff
    counter: str | None
    value: float | None
    raw: int | None  # count in the last sample, None when unknown
    age_s: float | None  # seconds since the last good sample of its camera
    estimated_wait_s: float | None = None  # queue zones only (Little's law)


@dataclass(frozen=True)
class CounterReading:
    """State of one counter; staffed/state None means unknown (its camera is stale)."""

    site: str
    counter: str
    name: str | None
    staffed: bool | None
    state: CounterState | None
    front_people: float | None  # smoothed people in its service zones
    session_s: float | None  # how long the current service session has lasted, None if none
    served_total: int = 0
    mean_service_s: float | None = None
    staff_zone: bool = True  # False: no staff zone watches it, staffing unknown, every visit counts as served
    session_started_at: float | None = None  # unix time the open service started (identifies the session)
    front_wait_s: float | None = None  # how long the citizen at the front has waited with no officer there
    discarded: dict[str, int] = field(default_factory=dict)  # front visits not counted as served, by reason


@dataclass(frozen=True)
class ViewReading:
    """The camera view check: how far the view moved from the reference taken when its zones were saved.

    ``shift_ratio``: mean displacement of the frame corners / frame diagonal (1.0: the view no longer matches the
    reference at all); None before the first comparison. ``moved`` None: no reference yet (unknown).
    """

    shift_ratio: float | None
    moved: bool | None
    threshold: float
    reference_at: float | None  # unix time the reference was taken
    checked_at: float | None  # unix time of the frame last compared


@dataclass(frozen=True)
class CameraReading:
    """Health of one camera."""

    site: str
    camera: str
    up: bool
    last_frame_ts: float | None  # unix time of the last good frame
    reconnects: int = 0
    error: str | None = None  # last error, 'reason: message' (e.g. 'timeout: no data for 6 s'); see `up`
    decode_mode: str | None = None
    view: ViewReading | None = None  # None when the view check is off or before the first sample


@dataclass(frozen=True)
class SiteSnapshot:
    """Everything known about a site at ``at`` (timezone-aware)."""

    site: str
    at: dt.datetime
    open: bool
    zones: dict[str, ZoneReading] = field(default_factory=dict)
    counters: dict[str, CounterReading] = field(default_factory=dict)
    cameras: dict[str, CameraReading] = field(default_factory=dict)
