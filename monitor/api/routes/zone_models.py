"""Request and response models of the zone editor's API (monitor.api.routes.zones)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .admin import ReloadOut
from .samples import DetectionOut

MAX_ZONES = 200
MAX_POINTS = 500


class ZoneIn(BaseModel):
    """A zone as the editor sends it; the same checks as `check-config` judge it (not this model)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=200, description="Zone id (letters, digits, _ . -), unique within the site.")
    kind: str = Field(max_length=40, description="queue, service or staff.")
    counter: str | None = Field(None, max_length=200, description="Counter id (service and staff zones).")
    polygon: list[tuple[float, float]] = Field(max_length=MAX_POINTS,
                                               description="[x, y] points, fractions 0..1 of the frame.")
    anchor: str = Field("auto", max_length=40, description="auto, feet, center, head or hips.")
    count_mode: str = Field("person", max_length=40, description="person or head.")
    shared: bool = Field(False, description="Outside the one-person-one-role rule (counts everyone inside).")
    name: str | None = Field(None, max_length=200, description="Display name.")
    resolved_anchor: str | None = Field(None, max_length=40, description="Ignored (GET returns it), so a zone "
                                                                         "read can be sent back as it is.")


class ZoneFullOut(BaseModel):
    """A zone of the config file."""

    id: str
    kind: str
    counter: str | None
    polygon: list[tuple[float, float]]
    anchor: str
    resolved_anchor: str = Field(description="The anchor once 'auto' is decided.")
    count_mode: str
    shared: bool = Field(description="Outside the one-person-one-role rule.")
    name: str | None


class CounterRefOut(BaseModel):
    """A counter of the camera's site (what service and staff zones may name)."""

    id: str
    name: str | None


class ZonesOut(BaseModel):
    """A camera's zones as its config file has them now, and the version to send back when saving."""

    camera: str
    site: str
    file: str = Field(description="The file the zones are written in, relative to the main config's folder.")
    version: str = Field(description="Version of that file; a save with another version is refused (409).")
    zones: list[ZoneFullOut]
    counters: list[CounterRefOut]
    detector_kinds: list[str] = Field(description="Models this process runs (count_mode head needs 'head').")


class ZonesIn(BaseModel):
    """The camera's complete new list of zones."""

    model_config = ConfigDict(extra="forbid")
    version: str = Field(max_length=128, description="`version` from GET; refused when the file changed since.")
    zones: list[ZoneIn] = Field(max_length=MAX_ZONES)


class ZonesPreviewIn(BaseModel):
    """Zones to try on the camera's current frame, without saving."""

    model_config = ConfigDict(extra="forbid")
    zones: list[ZoneIn] = Field(max_length=MAX_ZONES)
    t: float | None = Field(None, ge=0, le=86400 * 7, description="File cameras: the picture at this video time.")
    frame: float | None = Field(None, ge=0, description="The frame shown (its sample `ts`); default: the last one.")


class ProblemOut(BaseModel):
    """An error or warning, as `check-config` reports it, with the zone it concerns when there is one."""

    zone: int | None = Field(description="Index of the zone in the list sent, when the problem is in one.")
    field: str | None = Field(description="The zone's field at fault (polygon, counter, ...).")
    file: str | None
    line: int | None
    message: str
    warning: bool
    text: str = Field(description="The line `check-config` prints.")


class ZonesPreviewOut(BaseModel):
    """What the zones would count on the current frame, and what `check-config` would say of them."""

    valid: bool = Field(description="False when saving would be refused.")
    problems: list[ProblemOut]
    width: int | None = None
    height: int | None = None
    ts: float | None = None
    detections: list[DetectionOut] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)


class ZonesSavedOut(BaseModel):
    """A save that was written (and reloaded, when the process can reload)."""

    saved: bool
    file: str
    version: str = Field(description="The file's new version.")
    backup: str = Field(description="Where the previous content was kept.")
    problems: list[ProblemOut] = Field(description="Warnings (a saved file has no errors).")
    added: list[str]
    removed: list[str]
    changed: list[str]
    reload: ReloadOut | None = Field(description="The reload that applied it; null when this process cannot "
                                                 "reload.")


class ZonesRefusedOut(BaseModel):
    """A save that was refused: nothing was written (also the answer to a body that is not JSON)."""

    detail: str = Field(description="Why, in one line.")
    saved: bool = False
    problems: list[ProblemOut] = Field(default_factory=list, description="check-config's errors and warnings.")
