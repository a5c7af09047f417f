"""plan_reload (pure): which cameras are added, removed, restarted, updated or untouched by a new config."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from monitor.config import AppConfig
from monitor.config.reload_plan import plan_reload

BASE: dict[str, Any] = {"sites": [{
    "id": "a", "name": "A", "counters": [{"id": "d1"}],
    "cameras": [
        {"id": "c1", "url": "rtsp://h/1",
         "zones": [{"id": "q1", "kind": "queue", "polygon": [[0, 0], [1, 0], [1, 1]]}]},
        {"id": "c2", "url": "rtsp://h/2", "zones": [{"id": "s2", "kind": "staff", "counter": "d1",
                                                      "polygon": [[0, 0], [1, 0], [1, 1]]}]}],
    "alerts": {"rules": [{"kind": "long_queue", "zone": "q1", "min_people": 3, "for": "1m"}]}}]}


def cfg(edit: Any = None) -> AppConfig:
    data = copy.deepcopy(BASE)
    if edit is not None:
        edit(data)
    return AppConfig.model_validate(data)


def cams(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["sites"][0]["cameras"]  # type: ignore[no-any-return]


def add_site(d: dict[str, Any]) -> None:
    d["sites"].append({"id": "b", "name": "B", "cameras": [{"id": "c3", "url": "rtsp://h/3"}]})


@pytest.mark.parametrize("edit, expected", [
    (None, {"unchanged": ["c1", "c2"]}),
    (lambda d: cams(d).append({"id": "c9", "url": "rtsp://h/9"}), {"added": ["c9"], "unchanged": ["c1", "c2"]}),
    (lambda d: cams(d).pop(), {"removed": ["c2"], "unchanged": ["c1"]}),
    (lambda d: cams(d)[1].update(enabled=False), {"removed": ["c2"], "unchanged": ["c1"]}),
    (lambda d: cams(d)[0].update(url="rtsp://h/1b"), {"restarted": ["c1"], "unchanged": ["c2"]}),
    (lambda d: cams(d)[0].update(sample_every="5s"), {"restarted": ["c1"], "unchanged": ["c2"]}),
    (lambda d: cams(d)[0]["zones"][0].update(polygon=[[0, 0], [0.5, 0], [0.5, 0.5]]),
     {"updated": ["c1"], "unchanged": ["c2"]}),
    (lambda d: cams(d)[1].update(name="Seat cam", stale_after=5), {"updated": ["c2"], "unchanged": ["c1"]}),
    (add_site, {"added": ["c3"], "unchanged": ["c1", "c2"], "sites_added": ["b"], "alerts_changed": ["b"]}),
    (lambda d: d["sites"][0]["alerts"]["rules"].clear(), {"unchanged": ["c1", "c2"], "alerts_changed": ["a"]}),
    (lambda d: d["sites"][0].update(hours={"mon-sat": ["07:00-17:00"]}),
     {"unchanged": ["c1", "c2"], "sites_rebuilt": ["a"]}),
    (lambda d: d.update(smoothing={"window": 7}), {"unchanged": ["c1", "c2"], "sites_rebuilt": ["a"]}),
])
def test_plan(edit: Any, expected: dict[str, list[str]]) -> None:
    plan = plan_reload(cfg(), cfg(edit), {"person"})
    got = {name: list(getattr(plan, f"cameras_{name}")) for name in ("added", "removed", "restarted", "updated",
                                                                       "unchanged")}
    got |= {name: list(getattr(plan, name)) for name in ("sites_added", "sites_removed", "sites_rebuilt",
                                                          "alerts_changed")}
    assert {k: v for k, v in got.items() if v} == expected
    assert not plan.errors and not plan.restart_required
    assert plan.changed == (expected != {"unchanged": ["c1", "c2"]})


def test_camera_moving_to_another_site_restarts_and_the_old_site_goes() -> None:
    def move(d: dict[str, Any]) -> None:
        add_site(d)
        d["sites"][1]["cameras"].append(cams(d).pop(1))
        d["sites"].pop(0)
        d["sites"][0]["counters"] = [{"id": "d1"}]

    plan = plan_reload(cfg(), cfg(move), {"person"})
    assert plan.cameras_restarted == ("c2",) and plan.cameras_removed == ("c1",) and plan.cameras_added == ("c3",)
    assert plan.sites_removed == ("a",) and plan.sites_added == ("b",)


def test_detector_and_listen_changes_need_a_restart_tiling_does_not() -> None:
    plan = plan_reload(cfg(), cfg(lambda d: d.update(detector={"conf": 0.4, "tiling": {"rows": 2, "cols": 2}},
                                                    service={"port": 9100})), {"person"})
    assert not plan.errors
    assert [r.split(":")[0] for r in plan.restart_required] == ["detector.conf changed", "service.port changed"]


def test_a_camera_needing_an_unloaded_detector_is_refused() -> None:
    def head_zone(d: dict[str, Any]) -> None:
        cams(d)[0]["zones"][0]["count_mode"] = "head"
        d["detector"] = {"head_model": "heads.pt"}

    plan = plan_reload(cfg(), cfg(head_zone), {"person"})
    assert len(plan.errors) == 1 and "camera 'c1' needs the head detector" in plan.errors[0]
    assert "restart the service" in plan.errors[0]
    assert not plan_reload(cfg(), cfg(head_zone), {"person", "head"}).errors
