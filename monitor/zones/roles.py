"""One person, one role: decide whether a detected person is a citizen (queue, service) or an officer (staff).

A camera that looks over the citizens' backs towards the officer sees a standing citizen with the feet on the
floor in front of the counter and the head in the officer's zone. Counting each zone on its own would count that
citizen twice, once as the officer. The rule below decides with the geometry a human would use, in this order:

1. **Visible feet in a citizen zone make a citizen.** A person whose ankles are visible (pose keypoints above
   ``KP_MIN_CONF``) and whose feet point (bottom centre of the box) lies in a ``service`` or ``queue`` zone is a
   citizen. No staff zone counts them, whatever their head overlaps.
2. **Staff zones count the others** whose staff anchor (``head`` by default) is in the staff zone, unless their
   box ends in a citizen zone well below the staff zone: a seated officer's box ends at the desk (feet hidden),
   a standing citizen's on the floor in front of it. "Well below" means more than ``STAFF_BOTTOM_SLACK`` of the
   box height under the staff zone's lowest point, so an officer whose desk edge touches the front zone still
   counts as the officer.
3. **Service before queue**: a person counted as an officer is in no citizen zone; a person counted by a
   service zone (being served) is not also waiting in a queue zone.

Zones with ``shared: true`` are outside the rule: they count every person whose anchor is inside and claim
nobody (the behaviour before this rule). Overlapping zones of the same kind (two queue zones) each count a person
in both. The rule only applies to person detections; head-model zones count heads as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.config.zone import ZoneConfig
from monitor.detect import detections as kp
from monitor.detect.detections import Detections

from .anchors import KP_MIN_CONF

ANKLE_KEYPOINTS = (kp.KP_LANKLE, kp.KP_RANKLE)
# A seated officer's box ends at the desk top, which may sit a little below a staff zone drawn over the seat.
STAFF_BOTTOM_SLACK = 0.15
CITIZEN_KINDS = ("service", "queue")


def feet_visible(dets: Detections) -> np.ndarray:
    """Return (N,) bool: whether each person's feet are seen.

    With pose keypoints: at least one ankle above ``KP_MIN_CONF``. Without keypoints (a plain detector) the box
    bottom is all there is, so it is taken as the feet.
    """
    n = len(dets)
    kps = dets.keypoints
    if kps is None or kps.ndim != 3 or kps.shape[0] != n or kps.shape[1] < 17:
        return np.ones(n, dtype=bool)
    conf = kps[:, list(ANKLE_KEYPOINTS), 2]
    return np.asarray(np.any(conf > conf.dtype.type(KP_MIN_CONF), axis=1))


def apply_roles(dets: Detections, zones: Sequence[ZoneConfig], masks: dict[str, np.ndarray],
                feet: np.ndarray) -> dict[str, np.ndarray]:
    """Return the zone masks after the one-person-one-role rule (see the module docstring).

    ``masks`` holds, per zone id, which of ``dets`` (person detections) have their zone anchor inside the zone;
    ``feet`` the bottom-centre point of each box in pixels. Shared zones and zones missing from ``masks`` are
    returned unchanged.
    """
    n = len(dets)
    out = dict(masks)
    ruled = [z for z in zones if z.id in masks and not z.shared]
    if n == 0 or not ruled:
        return out
    from .assign import zone_polygon  # assign imports this module

    w, h = dets.frame_size
    in_citizen_zone = np.zeros(n, dtype=bool)
    for z in ruled:
        if z.kind in CITIZEN_KINDS:
            in_citizen_zone |= zone_polygon(z).contains(feet, (w, h))
    citizen_by_feet = in_citizen_zone & feet_visible(dets)
    box = np.asarray(dets.xyxy, dtype=np.float64).reshape(-1, 4)
    officer = np.zeros(n, dtype=bool)
    for z in ruled:
        if z.kind != "staff":
            continue
        zone_bottom = float(zone_polygon(z).to_pixels((w, h))[:, 1].max())
        ends_near_zone = box[:, 3] <= zone_bottom + STAFF_BOTTOM_SLACK * (box[:, 3] - box[:, 1])
        out[z.id] = masks[z.id] & ~citizen_by_feet & (~in_citizen_zone | ends_near_zone)
        officer |= out[z.id]
    served = np.zeros(n, dtype=bool)
    for z in ruled:
        if z.kind == "service":
            out[z.id] = masks[z.id] & ~officer
            served |= out[z.id]
    for z in ruled:
        if z.kind == "queue":
            out[z.id] = masks[z.id] & ~officer & ~served
    return out
