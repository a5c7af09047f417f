"""The daemon against a real RTSP camera: live counts, camera loss makes zones unknown, recovery, no leaks."""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess

import pytest

from benchmarks.rtsp_server import RtspServer, gstreamer_problem
from tests.support.paths import ONE_BY_ONE
from tests.support.process import MonitorProcess, metric_value, wait_until
from tests.support.room import room_site

pytestmark = pytest.mark.slow

if not ONE_BY_ONE.is_file():
    pytest.skip(f"shared footage missing: {ONE_BY_ONE}", allow_module_level=True)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """20 s of the shared clip in which one person stands at the table the whole time (checked by eye: 93-119 s)."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is missing: run scripts/install-system-deps.sh")
    out = tmp_path_factory.mktemp("clip") / "table.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", "95", "-t", "20", "-i", str(ONE_BY_ONE),
                    "-c:v", "libx264", "-g", "10", "-bf", "0", "-pix_fmt", "yuv420p", "-an", str(out)], check=True)
    return out


def room_config(url: str) -> dict:
    return {"sites": [room_site("hall-1", url, {"mon-sun": ["00:00-24:00"]}, holidays={"country": None})]}


def test_rtsp_camera_live_loss_and_recovery(clip, tmp_path):
    problem = gstreamer_problem()
    if problem:
        pytest.fail(problem)
    password = "pw-" + secrets.token_hex(6)
    with RtspServer(clip, name="hall-1", user="viewer", password=password) as rtsp:
        rtsp.start()
        svc = MonitorProcess(room_config(rtsp.url), tmp_path).start()
        try:
            labels = {"site": "room", "camera": "hall-1", "zone": "table-front"}
            # Live: the person at the table is counted; nobody on the left floor; nobody behind the desk.
            wait_until(lambda: svc.zone("table-front")["value"] == 1, 90, what="table-front == 1")
            m = svc.metrics()
            assert metric_value(m, "onestop_zone_people", **labels) == 1
            assert metric_value(m, "onestop_zone_people", zone="left-floor") == 0
            assert metric_value(m, "onestop_camera_up", camera="hall-1") == 1
            assert metric_value(m, "onestop_counter_state", counter="table", state="waiting_unstaffed") == 1
            assert metric_value(m, "onestop_frames_sampled_total", camera="hall-1") >= 1
            counter = svc.status()["sites"][0]["counters"][0]
            assert counter["staffed"] is False and counter["state"] == "waiting_unstaffed"

            # The camera dies: camera_up 0, zones unknown (null, absent from /metrics), never zero.
            rtsp.kill()
            wait_until(lambda: metric_value(svc.metrics(), "onestop_camera_up", camera="hall-1") == 0, 60,
                       what="camera_up 0")
            wait_until(lambda: svc.zone("table-front")["value"] is None, 30, what="zone unknown")
            m = svc.metrics()
            assert metric_value(m, "onestop_zone_people", **labels) is None
            assert metric_value(m, "onestop_zone_known", **labels) == 0
            z = svc.zone("table-front")
            assert z["stale"] is True
            assert svc.status()["sites"][0]["counters"][0]["state"] is None

            # It comes back: recovery without restarting the service, and the reconnect is counted.
            rtsp.start()
            wait_until(lambda: svc.zone("table-front")["value"] == 1, 90, what="recovered table-front == 1")
            m = svc.metrics()
            assert metric_value(m, "onestop_camera_up", camera="hall-1") == 1
            assert metric_value(m, "onestop_camera_reconnects_total", camera="hall-1") >= 1

            # The camera password never leaves the service.
            outputs = [svc.metrics(), svc.get("/api/v1/status").text, svc.get("/api/v1/cameras").text]
            assert svc.get("/api/v1/cameras/hall-1/snapshot.jpg").headers["content-type"] == "image/jpeg"
        finally:
            rc = svc.stop(signal.SIGTERM)
        assert rc == 0, svc.log_tail()
        log = svc.log_path.read_text()
        for text in [*outputs, log]:
            assert password not in text
        assert "engine stopped" in log
