"""Hot reload of a running in-process service: unaffected cameras keep their sources, alerts keep their state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.detect.base import Detector
from tests.api.live import Live, bus_camera, live_monitor, site, wait, write_config, zidane_camera
from tests.support.paths import REPO
from tests.support.process import metric_value
from tests.support.webhook_receiver import WebhookReceiver

QUEUE_RULE = {"kind": "long_queue", "zone": "bus-queue", "min_people": 1, "for": 0, "clear_after": "1h"}


def config(tmp: Path, receiver: WebhookReceiver, cameras: list[dict[str, Any]],
           rules: list[dict[str, Any]] | None = None, **top: Any) -> dict[str, Any]:
    hooks = [{"id": "supervisors", "url": receiver.url()}]
    return {"service": {"state_dir": str(tmp / "state")},
            "sites": [site(cameras, [QUEUE_RULE] if rules is None else rules, hooks)], **top}


def sampled(svc: Live, camera: str) -> float:
    text = TestClient(svc.app).get("/metrics").text
    return metric_value(text, "onestop_frames_sampled_total", camera=camera) or 0.0


def test_reload_adds_removes_and_changes_cameras_keeping_the_rest(tmp_path: Path, detectors: dict[str, Detector],
                                                                 receiver: WebhookReceiver) -> None:
    path = write_config(tmp_path / "config.yaml", config(tmp_path, receiver,
                                                         [bus_camera(), zidane_camera(), bus_camera("gone")]))
    with live_monitor(path, detectors) as svc:
        client = TestClient(svc.app)
        wait(lambda: all(sampled(svc, c) >= 1 for c in ("bus", "zidane", "gone")), what="every camera sampled")
        wait(lambda: [a for a in svc.alerts.active() if a.phase == "firing"], what="the queue alert firing")
        assert svc.alerts.flush(20)
        (firing,) = svc.alerts.active()
        before = {cid: svc.engine.states.cameras[cid].source for cid in ("bus", "zidane", "gone")}
        delivered = [r.key for r in receiver.acked()]
        assert len(delivered) == 1

        # New config: 'gone' removed, 'new' added, zidane's seat zone moved, bus untouched; a rule added.
        zidane = zidane_camera()
        zidane["zones"][0]["polygon"] = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
        rules = [QUEUE_RULE, {"kind": "camera_down", "camera": "new", "for": "1m"}]
        write_config(path, config(tmp_path, receiver, [bus_camera(), zidane, zidane_camera("new")], rules))
        r = client.post("/api/v1/reload")
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["applied"] and out["errors"] == [] and out["restart_required"] == []
        assert (out["cameras_added"], out["cameras_removed"], out["cameras_updated"], out["cameras_unchanged"]) \
            == (["new"], ["gone"], ["zidane"], ["bus"])

        # Unaffected and merely updated cameras keep their very source objects (threads never restarted).
        assert svc.engine.states.cameras["bus"].source is before["bus"] and before["bus"].running
        assert svc.engine.states.cameras["zidane"].source is before["zidane"] and before["zidane"].running
        assert "gone" not in svc.engine.states.cameras and not before["gone"].running
        assert before["bus"].status().reconnects == 0
        wait(lambda: sampled(svc, "new") >= 1, what="the added camera sampled")

        # Alert state and the outbox carried over: still the same firing episode, nothing resolved or re-sent.
        (still,) = [a for a in svc.alerts.active() if a.rule == firing.rule]
        assert still.phase == "firing" and still.starts_at == firing.starts_at
        assert svc.alerts.flush(20)
        assert [r.key for r in receiver.acked()] == delivered
        assert [n.notification.key for n in svc.alerts.recent()] == delivered

        # Metrics and the API forget the removed camera and its zones, and show the new ones.
        def metrics_updated() -> bool:
            text = client.get("/metrics").text
            return 'camera="gone"' not in text and metric_value(text, "onestop_camera_up", camera="new") == 1

        wait(metrics_updated, what="metrics of 'gone' removed, 'new' up")
        zones = {z["id"] for s in client.get("/api/v1/status").json()["sites"] for z in s["zones"]}
        assert zones == {"bus-queue", "bus-front", "zidane-staff", "new-staff"}
        assert {c["id"] for c in client.get("/api/v1/cameras").json()} == {"bus", "zidane", "new"}
        text = client.get("/metrics").text
        assert 'zone="gone-queue"' not in text and 'rule="long_queue:bus-queue"' in text
        n = sampled(svc, "bus")
        wait(lambda: sampled(svc, "bus") > n, what="bus still sampled after the reload")


def test_source_settings_restart_only_that_camera(tmp_path: Path, detectors: dict[str, Detector],
                                                  receiver: WebhookReceiver) -> None:
    path = write_config(tmp_path / "config.yaml", config(tmp_path, receiver, [bus_camera(), zidane_camera()], []))
    with live_monitor(path, detectors) as svc:
        before = {cid: svc.engine.states.cameras[cid].source for cid in ("bus", "zidane")}
        bus = bus_camera(sample_every="2s")
        write_config(path, config(tmp_path, receiver, [bus, zidane_camera()], []))
        result = svc.parts.reload()
        assert result.applied and result.plan.cameras_restarted == ("bus",)
        assert svc.engine.states.cameras["bus"].source is not before["bus"] and not before["bus"].running
        assert svc.engine.states.cameras["bus"].source.running
        assert svc.engine.states.cameras["zidane"].source is before["zidane"]
        assert svc.engine.scheduler.get_job("sample:bus").trigger.interval.total_seconds() == 2.0


def test_invalid_config_is_refused_with_check_config_errors(tmp_path: Path, detectors: dict[str, Detector],
                                                            receiver: WebhookReceiver) -> None:
    path = write_config(tmp_path / "config.yaml", config(tmp_path, receiver, [bus_camera()]))
    with live_monitor(path, detectors) as svc:
        client = TestClient(svc.app)
        running = svc.parts.config
        bad = config(tmp_path, receiver, [bus_camera()])
        bad["sites"][0]["cameras"][0]["zones"][1]["counter"] = "desk-9"
        bad["sites"][0]["cameras"][0]["zones"][0]["polygon"] = [[0, 0], [1, 1], [1, 0], [0, 1]]
        write_config(path, bad)
        r = client.post("/api/v1/reload")
        assert r.status_code == 400 and r.json()["applied"] is False
        check = subprocess.run([sys.executable, "-m", "monitor", "check-config", str(path)], cwd=REPO,
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 1
        assert r.json()["errors"] == check.stderr.splitlines()
        assert any("unknown counter 'desk-9'" in e for e in r.json()["errors"])
        assert any("self-intersecting" in e for e in r.json()["errors"])
        # The running config keeps going.
        assert svc.parts.config is running and svc.engine.loaded is running
        n = sampled(svc, "bus")
        wait(lambda: sampled(svc, "bus") > n, what="sampling goes on")
        path.write_text("sites: [", encoding="utf-8")
        r = client.post("/api/v1/reload")
        assert r.status_code == 400 and "YAML syntax" in r.json()["errors"][0]


def test_detector_changes_are_reported_as_needing_a_restart(tmp_path: Path, detectors: dict[str, Detector],
                                                            receiver: WebhookReceiver) -> None:
    path = write_config(tmp_path / "config.yaml", config(tmp_path, receiver, [bus_camera()]))
    with live_monitor(path, detectors, start=False) as svc:
        write_config(path, config(tmp_path, receiver, [bus_camera()], detector={"conf": 0.5, "max_batch": 2}))
        result = svc.parts.reload()
        assert result.applied and svc.engine.worker.max_batch == 2  # applied live
        assert result.plan.restart_required == (
            "detector.conf changed: the running model keeps its settings until the service restarts",)
        heads = bus_camera()
        heads["zones"][0]["count_mode"] = "head"
        write_config(path, config(tmp_path, receiver, [heads], detector={"head_model": "heads.pt"}))
        result = svc.parts.reload()
        assert not result.applied and "needs the head detector" in result.errors[0]
        assert svc.engine.loaded.config.detector.conf == 0.5


@pytest.mark.parametrize("change", ["hours", "smoothing"])
def test_site_level_changes_rebuild_its_state_but_not_its_cameras(tmp_path: Path, detectors: dict[str, Detector],
                                                                  receiver: WebhookReceiver, change: str) -> None:
    path = write_config(tmp_path / "config.yaml", config(tmp_path, receiver, [bus_camera()], []))
    with live_monitor(path, detectors) as svc:
        source, tracker = svc.engine.states.cameras["bus"].source, svc.engine.states.sites["ward-1"].tracker
        new = config(tmp_path, receiver, [bus_camera()], [])
        if change == "hours":
            new["sites"][0]["hours"] = {"mon-sun": ["00:00-12:00", "12:00-24:00"]}
        else:
            new["smoothing"] = {"window": 3}
        write_config(path, new)
        result = svc.parts.reload()
        assert result.applied and result.plan.sites_rebuilt == ("ward-1",)
        assert svc.engine.states.sites["ward-1"].tracker is not tracker
        assert svc.engine.states.cameras["bus"].source is source
        # Its zones are unknown until the next sample, then known again from the same, running source.
        wait(lambda: svc.engine.snapshots()[0].zones["bus-queue"].value is not None, what="zone known again")
        assert svc.engine.states.cameras["bus"].source.status().reconnects == 0
