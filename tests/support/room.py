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


def room_site(camera_id: str, url: str, hours: dict[str, list[str]], **extra: Any) -> dict[str, Any]:
    """Return a site config with one camera on the room and the table as counter 'table'."""
    return {
        "id": "room", "name": "Phòng thử", "province": "Lào Cai", "hours": hours,
        "counters": [{"id": "table", "name": "Bàn"}],
        "cameras": [{"id": camera_id, "url": url, "sample_every": "1s", "zones": ROOM_ZONES}],
        **extra,
    }
