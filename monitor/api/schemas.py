"""Response models of the API, separate from the config models."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class ZoneOut(BaseModel):
    """A zone's smoothed count; value null means unknown (camera stale)."""

    id: str
    camera: str
    kind: str
    counter: str | None
    value: float | None = Field(description="Smoothed people count; null while unknown.")
    last_count: int | None = Field(description="People in the last sample.")
    age_s: float | None = Field(description="Seconds since the camera's last good sample.")
    stale: bool
    estimated_wait_s: float | None = None


class CounterOut(BaseModel):
    """A counter's staffing and state; null means unknown."""

    id: str
    name: str | None
    staffed: bool | None
    state: str | None
    front_people: float | None
    session_s: float | None = Field(description="Length of the open service (officer and citizen there).")
    served_total: int
    mean_service_s: float | None
    staff_zone: bool = Field(True, description="false: no staff zone watches this counter; its staffing is "
                                               "unknown and every front visit counts as a service.")
    front_wait_s: float | None = Field(None, description="How long the citizen at the front has waited with no "
                                                         "officer there; null when nobody waits so.")
    discarded: dict[str, int] = Field(default_factory=dict,
                                      description="Front visits not counted as served since start, by reason: "
                                                  "too_short, no_officer, staff_unknown.")


class ViewOut(BaseModel):
    """The camera view check: has the view moved away from the one its zones were drawn on."""

    shift_ratio: float | None = Field(description="Mean displacement of the frame corners / frame diagonal since "
                                                  "the reference (1: no longer matches); null before a comparison.")
    moved: bool | None = Field(description="True while the view is moved (its zones are unknown); null before a "
                                           "reference is taken.")
    threshold: float = Field(description="Shift ratio at which the view counts as moved.")
    reference_at: float | None = Field(description="Unix time the reference view was taken.")
    checked_at: float | None = Field(description="Unix time of the frame last compared.")


class CameraOut(BaseModel):
    """A camera's health; the URL is never shown."""

    id: str
    site: str
    name: str | None
    up: bool
    last_frame_ts: float | None
    last_frame_age_s: float | None
    reconnects: int
    error: str | None
    decode_mode: str | None
    sample_every_s: float
    zones: list[str]
    view: ViewOut | None = Field(None, description="The view check; null when it is off for this camera or before "
                                                 "its first sample.")


class SiteOut(BaseModel):
    """Everything known about one site now."""

    id: str
    name: str
    province: str
    open: bool
    at: dt.datetime
    zones: list[ZoneOut]
    counters: list[CounterOut]
    cameras: list[CameraOut]


class StatusOut(BaseModel):
    """Every site's state."""

    sites: list[SiteOut]
