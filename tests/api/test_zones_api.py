"""The zone editor's API on a real in-process service: read, try, save (checked, atomic, reloaded), refuse."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from monitor.detect.base import Detector
from monitor.zones import count_zones, zone_masks
from tests.api.live import Live, bus_camera, live_monitor, site, write_config, zidane_camera
from tests.support.paths import ONE_BY_ONE

pytestmark = pytest.mark.slow

COMMENT = "# the bus stop: queue on the pavement"


@pytest.fixture
def live(tmp_path: Path, detectors: dict[str, Detector]) -> Iterator[Live]:
    rules = [{"kind": "long_queue", "zone": "bus-queue", "min_people": 3, "for": "1m"}]
    path = write_config(tmp_path / "config.yaml", {"service": {"state_dir": str(tmp_path / "state")},
                                                   "sites": [site([bus_camera(), zidane_camera()], rules)]})
    path.write_text(COMMENT + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with live_monitor(path, detectors) as svc:
        yield svc


def first_sample(client: TestClient, camera: str = "bus", timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/api/v1/cameras/{camera}/sample")
        if r.status_code == 200:
            return r.json()
        time.sleep(0.3)
    raise AssertionError(f"no sample of {camera}")


def square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def test_sample_shows_the_services_own_membership_and_the_same_frames_picture(live: Live) -> None:
    client = TestClient(live.app)
    sample = first_sample(client)
    rt = live.engine.camera("bus")
    assert rt is not None
    last = rt.last
    assert last is not None
    if abs(last.frame.ts - sample["ts"]) > 1e-6:  # a newer sample landed in between: compare with the kept one
        last = live.parts.stills.by_ts(rt, sample["ts"])[0]
    masks = zone_masks(last.detections, rt.camera.zones)
    people = [d for d in sample["detections"] if d["kind"] == "person"]
    assert len(people) == len(last.detections["person"]) >= 3
    for i, d in enumerate(people):
        assert d["zones"] == [z.id for z in rt.camera.zones if masks[z.id][i]]
        assert set(d["anchors"]) == {"feet", "center", "head", "hips"}
    assert sample["counts"] == count_zones(last.detections, rt.camera.zones)
    assert [z["anchor"] for z in sample["zones"]] == ["feet", "feet"] and sample["source"] == "image"

    # The picture of that very frame, blurred and without drawings; still there after newer samples.
    time.sleep(2.5)
    r = client.get(f"/api/v1/cameras/bus/snapshot.jpg?annotated=false&frame={sample['ts']}")
    assert r.status_code == 200 and r.headers["x-frame-timestamp"] == f"{sample['ts']:.3f}"
    picture = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape[:2] == (sample["height"], sample["width"])
    drawn = cv2.imdecode(np.frombuffer(client.get("/api/v1/cameras/bus/snapshot.jpg").content, np.uint8),
                         cv2.IMREAD_COLOR)
    assert float(np.abs(picture.astype(int) - drawn.astype(int)).mean()) > 1  # the annotated one has overlays
    assert client.get("/api/v1/cameras/bus/snapshot.jpg?frame=12345.5").status_code == 404
    assert client.get("/api/v1/cameras/bus/sample?t=3").status_code == 400  # not a file camera


def test_preview_counts_with_the_rule_and_reports_check_config_problems(live: Live) -> None:
    client = TestClient(live.app)
    sample = first_sample(client)
    zones = [{"id": "all", "kind": "queue", "polygon": square(0, 0, 1, 1)},
             {"id": "bow", "kind": "queue", "polygon": [[0.1, 0.1], [0.3, 0.3], [0.3, 0.1], [0.1, 0.3]]},
             {"id": "front", "kind": "service", "polygon": square(0, 0, 0.5, 0.5)}]
    r = client.post("/api/v1/cameras/bus/zones/preview", json={"zones": zones, "frame": sample["ts"]})
    assert r.status_code == 200
    out = r.json()
    assert out["valid"] is False and out["ts"] == sample["ts"]
    assert out["counts"]["all"] == sum(1 for d in sample["detections"] if d["kind"] == "person")
    by_zone = {(p["zone"], p["field"]): p for p in out["problems"] if not p["warning"]}
    assert "self-intersecting" in by_zone[(1, "polygon")]["message"]
    assert "must name its counter" in by_zone[(2, "counter")]["message"]
    # The rule on bus-queue now names a zone that is gone: a problem of the site, not of a zone.
    general = [p for p in out["problems"] if p["zone"] is None and not p["warning"]]
    assert any("unknown zone 'bus-queue'" in p["message"] for p in general)
    assert all(p["line"] for p in out["problems"] if p["zone"] is not None)


def test_save_checks_writes_keeps_comments_reloads_and_logs(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(live.app)
    shown = first_sample(client)  # the frame an editor shows
    path = live.config_path
    original = path.read_text(encoding="utf-8")
    got = client.get("/api/v1/cameras/bus/zones").json()
    assert got["file"] == "config.yaml" and got["site"] == "ward-1" and got["counters"][0]["id"] == "desk-1"
    assert [z["id"] for z in got["zones"]] == ["bus-queue", "bus-front"] and got["detector_kinds"] == ["person"]
    zones = got["zones"]

    # Refused: an unknown counter (check-config's message, on the zone and the line), nothing written.
    bad = [zones[0], {**zones[1], "counter": "desk-9"}]
    r = client.put("/api/v1/cameras/bus/zones", json={"version": got["version"], "zones": bad})
    assert r.status_code == 400 and r.json()["saved"] is False
    [problem] = [p for p in r.json()["problems"] if not p["warning"]]
    assert (problem["zone"], problem["field"]) == (1, "counter") and "unknown counter 'desk-9'" in problem["message"]
    assert problem["text"].startswith(f"{path}: error: line ")
    # Refused: a head-counted zone needs a model this process has not loaded.
    head = [*zones, {"id": "seats", "kind": "queue", "count_mode": "head", "polygon": square(0, 0, 1, 0.3)}]
    r = client.put("/api/v1/cameras/bus/zones", json={"version": got["version"], "zones": head})
    assert r.status_code == 400 and "head detector" in r.json()["problems"][-1]["message"]
    assert path.read_text(encoding="utf-8") == original

    # Saved: one zone moved, one added.
    new = [{**zones[0], "polygon": square(0, 0.6, 1, 1)}, zones[1],
           {"id": "kerb", "kind": "queue", "polygon": square(0, 0.9, 1, 1)}]
    with caplog.at_level(logging.INFO, logger="monitor.access"):
        r = client.put("/api/v1/cameras/bus/zones", json={"version": got["version"], "zones": new})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["added"], out["removed"], out["changed"]) == (["kerb"], [], ["bus-queue"])
    assert out["reload"]["applied"] is True and out["reload"]["cameras_updated"] == ["bus"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(COMMENT) and "id: kerb" in text and Path(f"{path}.bak").read_text() == original
    assert [z.id for z in live.parts.config.config.sites[0].cameras[0].zones] == ["bus-queue", "bus-front",
                                                                                  "kerb"]
    logged = [vars(r) for r in caplog.records if r.name == "monitor.access"]  # structured fields of the line
    assert logged[-1]["event"] == "zones_saved" and logged[-1]["who"] == "anonymous" \
        and logged[-1]["camera"] == "bus" and logged[-1]["added"] == ["kerb"]

    # The editor's frame is still there after the reload (its detections do not depend on the zones).
    after = client.post("/api/v1/cameras/bus/zones/preview", json={"zones": new, "frame": shown["ts"]}).json()
    assert after["ts"] == shown["ts"] and after["valid"] is True and after["counts"]["kerb"] >= 0
    # The editor that loaded the old version is refused, whatever it sends.
    r = client.put("/api/v1/cameras/bus/zones", json={"version": got["version"], "zones": zones})
    assert r.status_code == 409 and "changed since you loaded it" in r.json()["detail"]
    assert path.read_text(encoding="utf-8") == text

    # A warning does not stop a save: removing the only staff zone leaves counter desk-1 unwatched.
    cur = client.get("/api/v1/cameras/zidane/zones").json()
    r = client.put("/api/v1/cameras/zidane/zones", json={"version": cur["version"], "zones": []})
    assert r.status_code == 200
    assert any(p["warning"] and "no staff zone watches counter 'desk-1'" in p["message"]
               for p in r.json()["problems"])


@pytest.mark.skipif(not ONE_BY_ONE.is_file(), reason="shared footage missing")
def test_file_camera_picture_at_a_chosen_time(tmp_path: Path, detectors: dict[str, Detector]) -> None:
    cam = {"id": "clip", "url": str(ONE_BY_ONE), "sample_every": "2s", "zones": [
        {"id": "floor", "kind": "queue", "polygon": square(0.3, 0.55, 0.9, 1)}]}
    path = write_config(tmp_path / "config.yaml", {"service": {"state_dir": str(tmp_path / "state")},
                                                   "sites": [site([cam])]})
    with live_monitor(path, detectors) as svc:
        client = TestClient(svc.app)
        r = client.get("/api/v1/cameras/clip/sample?t=100")
        assert r.status_code == 200, r.text
        out = r.json()
        # At 100 s one person stands at the table (checked by eye), feet on the floor zone.
        assert out["source"] == "file" and abs(out["t"] - 100) < 0.1 and out["duration_s"] == pytest.approx(139.4)
        assert out["counts"] == {"floor": 1} and (out["width"], out["height"]) == (768, 432)
        pic = client.get("/api/v1/cameras/clip/snapshot.jpg?annotated=false&t=100")
        assert pic.status_code == 200 and pic.headers["content-type"] == "image/jpeg"
        preview = client.post("/api/v1/cameras/clip/zones/preview",
                              json={"t": 100, "zones": [{"id": "left", "kind": "queue",
                                                         "polygon": square(0, 0.55, 0.3, 1)}]}).json()
        assert preview["counts"] == {"left": 0} and preview["valid"] is True
