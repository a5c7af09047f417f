"""Polygon zones of a camera: who waits, who is served, who sits behind a counter."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import ConfigModel

ZoneKind = Literal["queue", "service", "staff"]
Anchor = Literal["auto", "feet", "center", "head", "hips"]
CountMode = Literal["person", "head"]


class ZoneConfig(ConfigModel):
    """One polygon zone in normalised (0..1) frame coordinates."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", title="Zone id",
                    description="Unique within the site; used in metrics labels and alert rules.")
    kind: ZoneKind = Field(title="Kind", description="queue: citizens waiting; service: citizen in front of a "
                                                     "counter; staff: the officer's seat behind a counter.")
    counter: str | None = Field(None, title="Counter",
                                description="Counter id this zone belongs to (required for service and staff).")
    polygon: list[tuple[float, float]] = Field(
        title="Polygon", description="At least 3 [x, y] points, 0..1 of frame width/height, not self-intersecting.")
    anchor: Anchor = Field(
        "auto", title="Anchor point",
        description="Point of a person that decides membership: feet (box bottom), center, head or hips (from "
                    "keypoints, box fallback). auto: head for staff zones (seated officers show no feet), "
                    "feet otherwise.")
    count_mode: CountMode = Field(
        "person", title="Counting mode",
        description="person: the person/pose model; head: the head model (right for seated waiting areas).")
    shared: bool = Field(
        False, title="Outside the roles rule",
        description="false (default): a person counts in one role only (a citizen whose feet are seen in a "
                    "service or queue zone is never the officer of a staff zone; see README 'One person, one "
                    "role'). true: this zone counts everyone whose anchor is inside and claims nobody.")
    name: str | None = Field(None, title="Display name", description="Shown on dashboards and in alerts.")

    def resolved_anchor(self) -> Anchor:
        """Return the anchor this zone really uses once 'auto' is decided."""
        if self.anchor != "auto":
            return self.anchor
        if self.count_mode == "head":
            return "center"
        return "head" if self.kind == "staff" else "feet"
