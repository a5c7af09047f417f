"""Which detections lie in which zone, and how many people each zone holds in one frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

from monitor.config.zone import ZoneConfig
from monitor.detect.detections import Detections

from .anchors import anchor_points
from .geometry import Polygon
from .roles import apply_roles


@lru_cache(maxsize=4096)
def _polygon(points: tuple[tuple[float, float], ...]) -> Polygon:
    # Zones are fixed between reloads; building the vertex array once per polygon keeps per-frame work small.
    return Polygon(points)


def zone_polygon(zone: ZoneConfig) -> Polygon:
    """Return the Polygon of a zone config."""
    return _polygon(tuple((float(x), float(y)) for x, y in zone.polygon))


def zone_masks(dets: Mapping[str, Detections], zones: Sequence[ZoneConfig]) -> dict[str, np.ndarray]:
    """Return, per zone id, a bool mask over the detections of the zone's count_mode kind that the zone counts.

    A detection is in a zone when its anchor point lies inside the polygon; person detections then go through
    the one-person-one-role rule (``monitor.zones.roles``): a citizen whose feet stand in a service or queue zone
    is not also an officer in a staff zone, and so on. A zone whose kind ('person' or 'head') has no entry in
    ``dets`` was not measured in this frame and is left out of the result (unknown, not zero).
    """
    out: dict[str, np.ndarray] = {}
    anchors: dict[tuple[str, str], np.ndarray] = {}  # several zones often share a kind and an anchor
    for zone in zones:
        kind_dets = dets.get(zone.count_mode)
        if kind_dets is None:
            continue
        key = (zone.count_mode, zone.resolved_anchor())
        if key not in anchors:
            anchors[key] = anchor_points(kind_dets, key[1])
        out[zone.id] = zone_polygon(zone).contains(anchors[key], kind_dets.frame_size)
    persons = dets.get("person")
    if persons is not None:
        feet = anchors.get(("person", "feet"))
        if feet is None:
            feet = anchor_points(persons, "feet")
        person_zones = [z for z in zones if z.count_mode == "person"]
        out.update(apply_roles(persons, person_zones, {z.id: out[z.id] for z in person_zones}, feet))
    return out


def count_zones(dets: Mapping[str, Detections], zones: Sequence[ZoneConfig]) -> dict[str, int]:
    """Return people per zone id: detections of the zone's count_mode kind whose anchor point is inside it.

    ``dets`` maps a kind ('person', 'head') to that model's detections of one frame. A zone whose kind is
    missing is omitted (not counted this frame). Persons follow the one-person-one-role rule (``zone_masks``).

    >>> import numpy as np; from monitor.config import ZoneConfig
    >>> d = Detections(np.array([[0, 0, 10, 10]], np.float32), np.ones(1, np.float32), np.zeros(1, np.int32),
    ...                (100, 100))
    >>> zone = ZoneConfig(id="q", kind="queue", polygon=[(0, 0), (.5, 0), (.5, .5), (0, .5)])
    >>> count_zones({"person": d}, [zone])
    {'q': 1}
    """
    return {zone_id: int(np.count_nonzero(mask)) for zone_id, mask in zone_masks(dets, zones).items()}
