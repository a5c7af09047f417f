"""The room of the shared one-by-one clip as a one-counter site: the high table works as a counter front."""

from __future__ import annotations

from typing import Any

# Checked by eye on frames of the clip: feet of a person at the table fall in x 0.35-0.85, y > 0.55; nobody ever
# stands left of it; nobody sits behind it (the staff zone stays empty but for someone walking past).
ROOM_ZONES: list[dict[str, Any]] = [
    {"id": "table-front", "kind": "service", "counter": "table",
     "polygon": [[0.35, 0.55], [0.85, 0.55], [0.85, 1], [0.35, 1]]},
    {"id": "left-floor", "kind": "queue", "polygon": [[0, 0.55], [0.35, 0.55], [0.35, 1], [0, 1]]},
    {"id": "table-staff", "kind": "staff", "counter": "table", "polygon": [[0.75, 0], [1, 0], [1, 0.5], [0.75, 0.5]]},
]


# Three counters on the one camera, to check the roles rule and service sessions in one replay:
# - "table": the zones above (the README's room set-up): an officer's seat right of the table that stays empty;
# - "wall": a staff zone on the wall right behind the high table and a front zone on the floor before it: the camera
#   looks over the citizen's back, whose head is inside the staff zone while she stands at the table (problem 1);
# - "open": the same floor zone with no staff zone: nothing can tell whether an officer is there, so every visit
#   counts as a service, as before the officer rule.
WALL_ZONES: list[dict[str, Any]] = [
    {"id": "wall-staff", "kind": "staff", "counter": "wall",
     "polygon": [[0.45, 0.0], [0.75, 0.0], [0.75, 0.5], [0.45, 0.5]]},
    {"id": "wall-front", "kind": "service", "counter": "wall",
     "polygon": [[0.4, 0.6], [0.85, 0.6], [0.85, 1], [0.4, 1]]},
    {"id": "open-front", "kind": "service", "counter": "open",
     "polygon": [[0.4, 0.6], [0.85, 0.6], [0.85, 1], [0.4, 1]]},
]


def room_site(camera_id: str, url: str, hours: dict[str, list[str]], *, three_counters: bool = False,
              **extra: Any) -> dict[str, Any]:
    """Return a site config with one camera on the room and the table as counter 'table'.

    With ``three_counters`` the camera also carries counters 'wall' and 'open' (see WALL_ZONES).
    """
    counters = [{"id": "table", "name": "Bàn"}]
    zones = list(ROOM_ZONES)
    if three_counters:
        counters += [{"id": "wall", "name": "Bàn (nhìn từ sau lưng)"}, {"id": "open", "name": "Bàn không có ghế"}]
        zones += WALL_ZONES
    return {
        "id": "room", "name": "Phòng thử", "province": "Lào Cai", "hours": hours, "counters": counters,
        "cameras": [{"id": camera_id, "url": url, "sample_every": "1s", "zones": zones}],
        **extra,
    }
