"""A province of sites as a config mapping: many small one-stop offices, for the sharding tests and plans."""

from __future__ import annotations

from typing import Any

BUS = "package://monitor/demo/bus.jpg"  # 4+ people standing low in the frame: a queue
ZIDANE = "package://monitor/demo/zidane.jpg"  # two people: an officer (right) and a citizen (left)


def site(i: int, cameras: int = 1, sample_every: str = "3s", webhook: str | None = None) -> dict[str, Any]:
    """Return site number i: even sites film a queue (bus.jpg), odd ones a served counter (zidane.jpg)."""
    busy = i % 2 == 0
    cams = []
    for c in range(cameras):
        # A person takes one role (README "One person, one role"), so zones do not overlap. On bus.jpg the desk
        # zones sit in the empty sky: everyone stands in the queue. On zidane.jpg the officer's head is right,
        # the citizen's left, both above the queue strip at the bottom.
        queue = [[0, 0.2], [1, 0.2], [1, 1], [0, 1]] if busy else [[0, 0.9], [1, 0.9], [1, 1], [0, 1]]
        zones: list[dict[str, Any]] = [{"id": f"s{i:03d}-c{c}-waiting", "kind": "queue", "polygon": queue}]
        if c == 0:
            staff = [[0, 0], [0.2, 0], [0.2, 0.15], [0, 0.15]] if busy else [[0.6, 0], [1, 0], [1, 0.9], [0.6, 0.9]]
            front = [[0.3, 0], [0.5, 0], [0.5, 0.15], [0.3, 0.15]] if busy else [[0, 0], [0.6, 0], [0.6, 0.9], [0, 0.9]]
            zones += [
                {"id": f"s{i:03d}-staff", "kind": "staff", "counter": "desk-1", "anchor": "head", "polygon": staff},
                {"id": f"s{i:03d}-front", "kind": "service", "counter": "desk-1", "anchor": "head",
                 "polygon": front}]
        cams.append({"id": f"s{i:03d}-cam{c}", "url": BUS if busy else ZIDANE, "sample_every": sample_every,
                     "zones": zones})
    out: dict[str, Any] = {
        "id": f"xa-{i:03d}", "name": f"Xã thử {i}", "province": "Lào Cai",
        "hours": {"mon-sun": ["00:00-24:00"]}, "holidays": {"country": None},
        "counters": [{"id": "desk-1", "name": "Quầy 1"}], "cameras": cams,
    }
    if webhook is not None:
        out["alerts"] = {"webhooks": [{"id": "province", "url": webhook}], "retry_initial": "1s", "retry_max": "2s",
                         "rules": [{"kind": "long_queue", "zone": f"s{i:03d}-c0-waiting", "min_people": 3,
                                    "for": "2s"}]}
    return out


def province(sites: int, cameras: Any = 1, sample_every: str = "3s", webhook: str | None = None) -> dict[str, Any]:
    """Return a config with ``sites`` sites; ``cameras`` is a count or a function of the site number."""
    count = cameras if callable(cameras) else (lambda i: cameras)
    return {"sites": [site(i, count(i), sample_every, webhook) for i in range(sites)]}
