"""Access control over a real in-process service: bearer tokens with roles, tokens file, /metrics basic auth."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from monitor.api.auth import TokensFileError, read_tokens_file
from monitor.detect.base import Detector
from tests.api.live import Live, bus_camera, live_monitor, private_file, site, write_config
from tests.support.paths import REPO

WALL = "wall-token-7f3a9c1e5b2d4f60"  # viewer, from the environment
OPS = "ops-token-0c9e8d7f6a5b4c3d2e1f"  # admin, from the tokens file
KIOSK = "kiosk-token-11aa22bb33cc44dd"  # viewer, from the tokens file
METRICS_PASSWORD = "scrape-pw-5e6f7a8b9c"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tokens_text(*lines: str) -> str:
    return "\n".join(["# name:role:token", *lines, ""])


def config_with_access(tmp: Path, **service: object) -> Path:
    private_file(tmp / "tokens", tokens_text(f"ops:admin:{OPS}", f"kiosk:viewer:{KIOSK}"))
    svc = {"state_dir": str(tmp / "state"), "tokens": [{"name": "wall", "env": "T_WALL", "role": "viewer"}],
           "tokens_file": "tokens", "metrics_auth": {"user": "prometheus", "password_env": "T_METRICS"},
           **service}
    return write_config(tmp / "config.yaml", {"service": svc, "sites": [site([bus_camera()])]})


@pytest.fixture
def live(tmp_path: Path, detectors: dict[str, Detector], monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("T_WALL", WALL)
    monkeypatch.setenv("T_METRICS", METRICS_PASSWORD)
    with live_monitor(config_with_access(tmp_path), detectors) as svc:
        yield svc


def wait_frame(svc: Live, camera: str = "bus", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while svc.engine.states.cameras[camera].last is None:
        assert time.monotonic() < deadline, f"no frame analysed for {camera}"
        time.sleep(0.2)


def test_roles_and_token_sources(live: Live) -> None:
    client = TestClient(live.app)
    assert client.get("/healthz").status_code == 200
    r = client.get("/api/v1/status")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/status", headers=bearer("nope-" + WALL)).status_code == 401
    assert client.get("/api/v1/status", headers={"Authorization": f"Basic {WALL}"}).status_code == 401
    for token in (WALL, KIOSK, OPS):
        assert client.get("/api/v1/status", headers=bearer(token)).status_code == 200
        assert client.get("/api/v1/cameras", headers=bearer(token)).status_code == 200
    # Admin-only actions.
    for token in (WALL, KIOSK):
        assert client.post("/api/v1/reload", headers=bearer(token)).status_code == 403
        r = client.post("/api/v1/alerts/test", json={"site": "ward-1", "target": "x"}, headers=bearer(token))
        assert r.status_code == 403
    r = client.post("/api/v1/reload", headers=bearer(OPS))
    assert r.status_code == 200 and r.json()["applied"] is True and r.json()["cameras_unchanged"] == ["bus"]


def test_snapshots_are_blurred_for_everyone_and_every_view_is_logged(live: Live,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(live.app)
    wait_frame(live)
    caplog.set_level(logging.INFO, logger="monitor.access")
    r = client.get("/api/v1/cameras/bus/snapshot.jpg", headers=bearer(KIOSK))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["cache-control"] == "no-store"
    # Raw pictures: not for viewers, and not even for admins while the config does not allow them.
    assert client.get("/api/v1/cameras/bus/snapshot.jpg?raw=true", headers=bearer(WALL)).status_code == 403
    assert client.get("/api/v1/cameras/bus/snapshot.jpg?raw=true", headers=bearer(OPS)).status_code == 403
    assert client.get("/api/v1/cameras/bus/snapshot.jpg").status_code == 401
    views = [{k: getattr(rec, k) for k in ("event", "who", "camera", "raw", "at")}
             for rec in caplog.records if rec.name == "monitor.access"]
    snaps = [v for v in views if v["event"] == "snapshot_view"]
    assert [(v["who"], v["camera"], v["raw"]) for v in snaps] == [("kiosk", "bus", False)]  # refusals show none
    assert snaps[0]["at"].endswith("+00:00")


def test_metrics_basic_auth(live: Live) -> None:
    client = TestClient(live.app)
    r = client.get("/metrics")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
    assert client.get("/metrics", auth=("prometheus", "wrong")).status_code == 401
    assert client.get("/metrics", auth=("grafana", METRICS_PASSWORD)).status_code == 401
    assert client.get("/metrics", headers=bearer(OPS)).status_code == 401  # API tokens are not scrape credentials
    r = client.get("/metrics", auth=("prometheus", METRICS_PASSWORD))
    assert r.status_code == 200 and "onestop_camera_up" in r.text
    assert client.get("/readyz").status_code == 200  # liveness and readiness stay open


def test_raw_snapshot_for_admin_when_allowed(tmp_path: Path, detectors: dict[str, Detector],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_WALL", WALL)
    monkeypatch.setenv("T_METRICS", METRICS_PASSWORD)
    with live_monitor(config_with_access(tmp_path, allow_raw_snapshots=True), detectors) as svc:
        client = TestClient(svc.app)
        wait_frame(svc)
        assert client.get("/api/v1/cameras/bus/snapshot.jpg?raw=true", headers=bearer(KIOSK)).status_code == 403
        raw = client.get("/api/v1/cameras/bus/snapshot.jpg?raw=true", headers=bearer(OPS))
        blurred = client.get("/api/v1/cameras/bus/snapshot.jpg", headers=bearer(OPS))
        assert raw.status_code == blurred.status_code == 200
        a, b = (cv2.imdecode(np.frombuffer(x.content, np.uint8), cv2.IMREAD_COLOR) for x in (raw, blurred))
        last = svc.engine.states.cameras["bus"].last
        assert last is not None and len(last.detections["person"]) >= 2
        x1, y1, x2, y2 = last.detections["person"].xyxy[0].astype(int)
        inside = (slice(y1 + 4, y2 - 4), slice(x1 + 4, x2 - 4))
        # Pixelated: the fine detail (Laplacian energy) inside a person's box is gone from the blurred picture.
        detail = [float(cv2.Laplacian(cv2.cvtColor(img[inside], cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
                  for img in (a, b)]
        print(f"detail inside a person box: raw {detail[0]:.0f}, blurred {detail[1]:.0f}")
        assert detail[1] * 2 < detail[0], detail
        assert float(np.abs(a[inside].astype(int) - b[inside].astype(int)).mean()) > 5


def test_open_api_without_tokens(tmp_path: Path, detectors: dict[str, Detector]) -> None:
    path = write_config(tmp_path / "c.yaml", {"service": {"state_dir": str(tmp_path / "s")},
                                              "sites": [site([bus_camera()])]})
    with live_monitor(path, detectors, start=False) as svc:
        client = TestClient(svc.app)
        assert client.get("/api/v1/status").status_code == 200
        assert client.get("/metrics").status_code == 200


def test_tokens_file_is_checked(tmp_path: Path) -> None:
    good = private_file(tmp_path / "good", tokens_text(f"ops:admin:{OPS}", "", "  # comment", f"kiosk:viewer:{KIOSK}"))
    assert [(t.name, t.role) for t in read_tokens_file(good)] == [("ops", "admin"), ("kiosk", "viewer")]
    shared = private_file(tmp_path / "shared", tokens_text(f"ops:admin:{OPS}"), mode=0o644)
    with pytest.raises(TokensFileError, match=r"mode 0644\); run: chmod 600") as err:
        read_tokens_file(shared)
    assert OPS not in str(err.value)
    for line, problem in [(f"ops:{OPS}", "expected 'name:role:token'"), (f"ops:root:{OPS}", "role must be"),
                          ("ops:admin:short", "at least 16"), (f"o ps:admin:{OPS}", "bad token name"),
                          (f"a:admin:{OPS}\nb:viewer:{OPS}", "appears twice")]:
        bad = private_file(tmp_path / "bad", tokens_text(line))
        with pytest.raises(TokensFileError, match=problem) as err:
            read_tokens_file(bad)
        assert OPS not in str(err.value) and "line " in str(err.value)


def test_tokens_file_is_reread_on_reload(live: Live) -> None:
    client = TestClient(live.app)
    new_admin = "rotated-admin-token-99887766"
    private_file(live.config_path.parent / "tokens", tokens_text(f"ops:admin:{new_admin}"))
    assert client.post("/api/v1/reload", headers=bearer(OPS)).json()["applied"] is True
    assert client.get("/api/v1/status", headers=bearer(OPS)).status_code == 401
    assert client.get("/api/v1/status", headers=bearer(KIOSK)).status_code == 401
    assert client.get("/api/v1/status", headers=bearer(new_admin)).status_code == 200
    # A tokens file others can read is refused on reload too, and the running tokens stay.
    private_file(live.config_path.parent / "tokens", tokens_text(f"ops:admin:{OPS}"), mode=0o640)
    r = client.post("/api/v1/reload", headers=bearer(new_admin))
    assert r.status_code == 400 and "chmod 600" in r.json()["errors"][0]
    assert client.get("/api/v1/status", headers=bearer(new_admin)).status_code == 200


def test_run_refuses_a_readable_tokens_file(tmp_path: Path) -> None:
    private_file(tmp_path / "tokens", tokens_text(f"ops:admin:{OPS}"), mode=0o644)
    path = write_config(tmp_path / "config.yaml", {
        "service": {"state_dir": str(tmp_path / "state"), "tokens_file": "tokens"},
        "sites": [site([bus_camera()])]})
    r = subprocess.run([sys.executable, "-m", "monitor", "run", "--config", str(path)], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "cannot use the tokens file" in r.stdout and "chmod 600" in r.stdout
    assert OPS not in r.stdout + r.stderr
