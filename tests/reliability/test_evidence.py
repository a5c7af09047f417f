"""Evidence pictures: saved blurred on a firing alert only when enabled, private files, deleted after retention."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from monitor.annotate import annotate
from monitor.config import SiteConfig
from monitor.config.service import EvidenceConfig
from monitor.detect.base import Detector
from monitor.privacy.evidence import EvidenceStore, cameras_for, evidence_name, expired, saved_at_of, wants_evidence
from tests.api.live import bus_camera, live_monitor, site, wait, write_config, zidane_camera

RULE = {"kind": "long_queue", "zone": "bus-queue", "min_people": 1, "for": 0}
ON = EvidenceConfig(enabled=True)


@pytest.mark.parametrize("cfg, kind, rule, status, seq, expected", [
    (EvidenceConfig(), "long_queue", "long_queue:q", "firing", 0, False),  # off by default
    (ON, "long_queue", "long_queue:q", "firing", 0, True),
    (ON, "long_queue", "long_queue:q", "firing", 1, False),  # repeats save nothing new
    (ON, "long_queue", "long_queue:q", "resolved", 2, False),
    (ON, "camera_down", "camera_down:c", "firing", 0, False),  # a dead camera has no current picture
    (EvidenceConfig(enabled=True, rules=["counter_unstaffed"]), "long_queue", "long_queue:q", "firing", 0, False),
    (EvidenceConfig(enabled=True, rules=["counter_unstaffed"]), "counter_unstaffed", "x", "firing", 0, True),
    (EvidenceConfig(enabled=True, rules=["long_queue:q"]), "long_queue", "long_queue:q", "firing", 0, True),
])
def test_wants_evidence(cfg: EvidenceConfig, kind: str, rule: str, status: str, seq: int, expected: bool) -> None:
    assert wants_evidence(cfg, kind, rule, status, seq) is expected


def test_cameras_for_subjects() -> None:
    s = SiteConfig.model_validate(site([bus_camera(), zidane_camera()]))
    assert cameras_for({"zone": "bus-queue", "camera": "bus"}, s) == ["bus"]
    assert cameras_for({"counter": "desk-1"}, s) == ["bus", "zidane"]  # bus-front and zidane-staff
    assert cameras_for({"camera": "zidane"}, s) == ["zidane"]
    assert cameras_for({"zone": "nowhere"}, s) == [] and cameras_for({}, s) == []


def test_names_and_expiry_are_pure() -> None:
    name = evidence_name(1_700_000_000.9, "long_queue:bus/queue", "cam 1", "f" * 64)
    assert name == "1700000000_long_queue-bus-queue_cam-1_ffffffffffff.jpg"
    assert saved_at_of(Path(name)) == 1_700_000_000.0 and saved_at_of(Path("notes.txt")) is None
    entries = [(Path("old"), 1000.0), (Path("edge"), 1900.0), (Path("new"), 1950.0)]
    assert expired(entries, now=2000.0, retention_s=100.0) == [Path("old")]


def test_store_writes_private_files_and_purges_old_ones(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    image = np.full((48, 64, 3), 127, np.uint8)
    now = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    old = store.save(image, site="w", camera="c", rule="r", key="a" * 64, saved_at=now - 8 * 86400)
    new = store.save(image, site="w", camera="c", rule="r", key="b" * 64, saved_at=now - 3600)
    assert new.parent.name == "2025-12-31" and old.parent.name == "2025-12-24"
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    for folder in (store.root, store.root / "w", new.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert cv2.imread(str(new)).shape == (48, 64, 3)
    stray = old.parent / "left-by-a-crash.tmp"
    stray.write_bytes(b"x")
    os.utime(stray, (now - 9 * 86400, now - 9 * 86400))  # unknown names expire by their file time
    assert store.purge(now, retention_s=7 * 86400) == 2
    assert not old.exists() and not stray.exists() and not old.parent.exists() and new.exists()
    assert store.purge(now, retention_s=7 * 86400) == 0


def config(tmp: Path, evidence: dict[str, Any] | None) -> dict[str, Any]:
    service: dict[str, Any] = {"state_dir": str(tmp / "state")}
    if evidence is not None:
        service["evidence"] = evidence
    return {"service": service, "sites": [site([bus_camera()], [RULE])]}


def test_no_picture_is_written_by_default(tmp_path: Path, detectors: dict[str, Detector]) -> None:
    path = write_config(tmp_path / "config.yaml", config(tmp_path, None))
    with live_monitor(path, detectors) as svc:
        wait(lambda: [a for a in svc.alerts.active() if a.phase == "firing"])
        time.sleep(1.5)  # a tick after the firing one, where a picture would have been written
    state = tmp_path / "state"
    assert not (state / "evidence").exists()
    assert not [p for p in state.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")]


def test_firing_alert_saves_a_blurred_picture_that_the_purge_job_deletes(
        tmp_path: Path, detectors: dict[str, Detector], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="monitor")
    path = write_config(tmp_path / "config.yaml",
                        config(tmp_path, {"enabled": True, "retention": "3s", "purge_every": "1s"}))
    with live_monitor(path, detectors) as svc:
        saved = wait(lambda: [r for r in caplog.records if r.getMessage() == "evidence picture saved"])
        file = Path(saved[0].path)  # type: ignore[attr-defined]
        assert file.is_relative_to(tmp_path / "state" / "evidence" / "ward-1")
        picture = cv2.imread(str(file))
        last = svc.engine.states.cameras["bus"].last
        assert picture is not None and last is not None
        assert picture.shape == last.frame.image.shape
        # Blurred: inside each person's box the fine detail of the raw frame is gone. Compared with the same
        # annotation drawn unblurred, so zone lines and labels crossing a box weigh the same on both sides.
        unblurred = annotate(last.frame.image, last.detections.values(), svc.engine.states.cameras["bus"].camera.zones,
                             last.counts, blur=False)
        for x1, y1, x2, y2 in last.detections["person"].xyxy.astype(int)[:3]:
            box = (slice(y1 + 4, y2 - 4), slice(x1 + 4, x2 - 4))
            raw, kept = (float(cv2.Laplacian(cv2.cvtColor(img[box], cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
                         for img in (unblurred, picture))
            assert kept * 2 < raw, (kept, raw)
        assert len(saved) == 1  # one firing, one camera: one picture, repeats add none
        # The scheduled job deletes it once the 3 s retention has passed, while the service runs.
        wait(lambda: not file.exists(), timeout=30)
        assert any(r.getMessage().startswith("evidence pictures deleted") for r in caplog.records)
