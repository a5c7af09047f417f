"""The view check through hot reloads and a restart of an in-process service: moved, zones saved again, restarted.

The camera is a still frame of the shared one-by-one clip; "moving" it is a reload to the same frame shifted by 6%
of the width (a restarted source, the same zones: the reference stays). Saving other zones takes a new reference
of the view as it is; a restart finds the reference on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from monitor.detect.base import Detector
from tests.api.live import Live, live_monitor, site, wait, write_config
from tests.support.paths import ONE_BY_ONE
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow

ZONE = {"id": "floor", "kind": "queue", "polygon": [[0.35, 0.55], [0.85, 0.55], [0.85, 1], [0.35, 1]]}
RULE = {"kind": "camera_moved", "camera": "hall", "for": 0, "clear_after": 0}


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A frame of the clip with someone at the table, and the same frame as a camera shifted by 6% sees it."""
    if not ONE_BY_ONE.is_file():
        pytest.fail(f"shared footage missing: {ONE_BY_ONE}")
    cap = cv2.VideoCapture(str(ONE_BY_ONE))
    cap.set(cv2.CAP_PROP_POS_MSEC, 100_000)
    ok, frame = cap.read()
    cap.release()
    assert ok
    folder = tmp_path_factory.mktemp("pictures")
    h, w = frame.shape[:2]
    shifted = cv2.warpAffine(frame, np.float32([[1, 0, 0.06 * w], [0, 1, 0]]), (w, h))
    cv2.imwrite(str(folder / "hall.png"), frame)
    cv2.imwrite(str(folder / "hall-shifted.png"), shifted)
    return folder / "hall.png", folder / "hall-shifted.png"


def write(tmp: Path, picture: Path, hook: str, zone: dict[str, Any] = ZONE) -> Path:
    cam = {"id": "hall", "url": str(picture), "sample_every": "1s", "zones": [zone]}
    return write_config(tmp / "config.yaml", {"service": {"state_dir": str(tmp / "state")},
                                              "sites": [site([cam], [RULE], [{"id": "sup", "url": hook}])]})


def camera(svc: Live) -> dict[str, Any]:
    return TestClient(svc.app).get("/api/v1/cameras").json()[0]


def floor(svc: Live) -> float | None:
    zones = TestClient(svc.app).get("/api/v1/status").json()["sites"][0]["zones"]
    return next(z["value"] for z in zones if z["id"] == "floor")


def hooks(rx: WebhookReceiver, status: str) -> list[dict[str, Any]]:
    return [r.json() for r in rx.acked() if r.json()["status"] == status]


def test_moved_by_reload_rearmed_by_new_zones_and_kept_over_a_restart(
        tmp_path: Path, detectors: dict[str, Detector], receiver: WebhookReceiver,
        pictures: tuple[Path, Path]) -> None:
    original, shifted = pictures
    path = write(tmp_path, original, receiver.url())
    with live_monitor(path, detectors) as svc:
        first = wait(lambda: (c := camera(svc))["view"] and c["view"]["moved"] is False and c, what="a reference")
        reference_at = first["view"]["reference_at"]
        wait(lambda: floor(svc) == 1, what="the person at the table counted")
        assert list((tmp_path / "state" / "view").glob("hall.*.npz"))

        # The camera is bumped: same zones, another view. Zones unknown, alert fired, reference unchanged.
        write(tmp_path, shifted, receiver.url())
        assert svc.parts.reload().applied
        moved = wait(lambda: (c := camera(svc))["view"] and c["view"]["moved"] and c, what="the move seen")
        assert moved["view"]["shift_ratio"] == pytest.approx(0.06 * 768 / np.hypot(768, 432), abs=0.006)
        assert moved["view"]["reference_at"] == reference_at
        wait(lambda: floor(svc) is None, what="the zone unknown")
        metrics = TestClient(svc.app).get("/metrics").text
        assert 'onestop_camera_view_moved{camera="hall",site="ward-1"} 1.0' in metrics
        assert 'onestop_zone_people{camera="hall"' not in metrics
        assert wait(lambda: svc.alerts.flush(5) and hooks(receiver, "firing"), what="the camera_moved webhook")

        # The zones are saved again for the view as it is now: a new reference, zones known, the alert resolves.
        nudged = {**ZONE, "polygon": [[0.4, 0.55], [0.9, 0.55], [0.9, 1], [0.4, 1]]}
        write(tmp_path, shifted, receiver.url(), nudged)
        assert svc.parts.reload().applied
        rearmed = wait(lambda: (c := camera(svc))["view"] and c["view"]["moved"] is False and c, what="re-armed")
        assert rearmed["view"]["reference_at"] > reference_at
        wait(lambda: floor(svc) == 1, what="the zone known again")
        assert wait(lambda: svc.alerts.flush(5) and hooks(receiver, "resolved"), what="the alert resolved")
    assert len(list((tmp_path / "state" / "view").glob("hall.*.npz"))) == 2

    # A restart with the camera back at its first view: the reference of the new zones is the shifted view.
    write(tmp_path, original, receiver.url(), nudged)
    with live_monitor(path, detectors) as svc:
        again = wait(lambda: (c := camera(svc))["view"] and c["view"]["moved"] is not None and c,
                     what="the first check after the restart")
        assert again["view"]["moved"] is True and again["view"]["reference_at"] == rearmed["view"]["reference_at"]
        wait(lambda: floor(svc) is None, what="the zone unknown after the restart")
