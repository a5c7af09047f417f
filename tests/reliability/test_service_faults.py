"""The real `run` process under fire: camera and network faults, access control, hot reload, no leaked secret.

Four cameras, each with a camera_down alert: an RTSP camera behind a TCP proxy (stall, cut, slow), an RTSP
camera whose server is killed and restarted, an HTTP snapshot camera switched between faults, and a "camera" with
no usable video codec. Each fault must give a warning log line naming the camera and the reason,
`onestop_camera_up 0`, a count in `onestop_camera_errors_total{reason}`, and recovery when it ends; memory stays
bounded and every alert notification is delivered exactly once. ONESTOP_FAULT_ROUNDS (default 1) repeats the
fault programme. One password is in every URL and secret; no output of any kind may contain it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest

from benchmarks.rtsp_server import RtspServer, gstreamer_problem
from tests.reliability.harness import (
    CAMERAS,
    Client,
    World,
    log_records,
    make_audio_only,
    make_clip,
    new_secret,
    replace_file,
    run_cli,
    write_yaml,
)
from tests.support.http_camera import HttpCamera
from tests.support.paths import ONE_BY_ONE
from tests.support.process import MonitorProcess, wait_until
from tests.support.tcp_proxy import TcpProxy
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

pytestmark = pytest.mark.slow
ROUNDS = int(os.environ.get("ONESTOP_FAULT_ROUNDS", "1"))
SNAPSHOT_FAULTS = {"500": "http_500", "html": "not_image", "truncated": "decode", "huge": "too_large",
                   "endless": "too_large", "zero": "bad_size", "giant": "bad_size", "stall": "timeout",
                   "unauthorized": "http_401"}
INJECTED: Counter[str] = Counter()

if not ONE_BY_ONE.is_file():
    pytest.skip(f"shared footage missing: {ONE_BY_ONE}", allow_module_level=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if problem := gstreamer_problem():
        pytest.fail(problem)
    tmp = tmp_path_factory.mktemp("faults")
    secret = new_secret()
    clip = make_clip(tmp / "clip.mp4")
    codec = make_audio_only(tmp / "codec.mp4")
    jpeg = (Path(__import__("ultralytics").__file__).parent / "assets" / "bus.jpg").read_bytes()
    with RtspServer(clip, user="cam-operator", password=secret) as a, \
            RtspServer(clip, user="cam-operator", password=secret) as b, TcpProxy(a.port) as proxy, \
            WebhookReceiver() as rx:
        camera = HttpCamera(jpeg, "cam-operator", secret, mode="good", require_auth=True).start()
        try:
            yield World(tmp, secret, clip, a, b, proxy, camera, rx, codec)
        finally:
            camera.stop()


@pytest.fixture(scope="module")
def service(world: World) -> Iterator[tuple[MonitorProcess, Client]]:
    svc = MonitorProcess(world.config(), world.tmp, env=world.env())
    svc.start(ready_timeout=180)
    try:
        yield svc, Client(svc, world)
    finally:
        svc.stop()


def up(c: Client, camera: str) -> bool:
    return c.value("onestop_camera_up", camera=camera) == 1


def down(c: Client, camera: str) -> bool:
    return c.value("onestop_camera_up", camera=camera) == 0


def fresh_sample(c: Client, camera: str, timeout: float = 90) -> None:
    """Wait until the camera is up and one more frame of it has been analysed (recovery is real)."""
    n = c.value("onestop_frames_sampled_total", camera=camera) or 0
    wait_until(lambda: up(c, camera) and (c.value("onestop_frames_sampled_total", camera=camera) or 0) > n,
               timeout, what=f"{camera} up and sampled")


def outage(c: Client, camera: str, reasons: set[str], timeout: float = 60) -> None:
    """Wait until the camera is down and one of reasons has been counted since the call."""
    before = c.errors(camera)
    wait_until(lambda: down(c, camera) and any(c.errors(camera).get(r, 0) > before.get(r, 0) for r in reasons),
               timeout, what=f"{camera} down with {reasons}")


def proxied_faults(c: Client, w: World) -> None:
    fresh_sample(c, "proxied")
    for _ in range(ROUNDS):
        w.proxy.stall()  # TCP open, no byte moves: a read timeout (after the buffered video is consumed)
        outage(c, "proxied", {"timeout"})
        w.proxy.restore()
        fresh_sample(c, "proxied")
        for _ in range(2):
            w.proxy.cut()  # connections reset, reconnections refused
            outage(c, "proxied", {"eof", "connect", "io", "timeout", "decode"})
            w.proxy.restore()
            fresh_sample(c, "proxied")
        w.proxy.slow(300)  # far below the stream's ~30 kB/s: nothing decodes in time
        outage(c, "proxied", {"timeout", "decode"}, timeout=90)
        w.proxy.restore()
        fresh_sample(c, "proxied")
    INJECTED.update({f"proxy {k}": v for k, v in w.proxy.faults.items()})


def flappy_faults(c: Client, w: World) -> None:
    fresh_sample(c, "flappy")
    for _ in range(3 * ROUNDS):
        w.rtsp_flappy.kill()  # the camera loses power
        outage(c, "flappy", {"eof", "connect", "io", "timeout", "decode"})
        w.rtsp_flappy.start()
        INJECTED["rtsp server killed and restarted"] += 1
        fresh_sample(c, "flappy")


def snapshot_faults(c: Client, w: World) -> None:
    fresh_sample(c, "snap")
    for _ in range(ROUNDS):
        for mode, reason in SNAPSHOT_FAULTS.items():
            w.camera.set(mode)
            outage(c, "snap", {reason})
            w.camera.set("good")
            fresh_sample(c, "snap")
    INJECTED.update({f"snapshot {k}": v for k, v in w.camera.faults.items()})


def codec_fault(c: Client, w: World) -> None:
    wait_until(lambda: down(c, "codec") and c.errors("codec").get("codec", 0) >= 1, 60, what="codec error")
    INJECTED["wrong codec"] += 1
    replace_file(w.clip, w.codec_path)  # the installer fixes the camera's encoding: H.264 now
    fresh_sample(c, "codec")


def more_reconnects(c: Client, w: World, camera: str) -> None:
    for _ in range(3):
        if camera == "flappy":
            w.rtsp_flappy.kill()
            outage(c, camera, {"eof", "connect", "io", "timeout", "decode"})
            w.rtsp_flappy.start()
            INJECTED["rtsp server killed and restarted"] += 1
        else:
            w.camera.set("500")
            outage(c, camera, {"http_500"})
            w.camera.set("good")
            INJECTED["snapshot 500"] += 1
        fresh_sample(c, camera)


def test_every_fault_is_seen_counted_logged_and_recovered(world: World,
                                                          service: tuple[MonitorProcess, Client]) -> None:
    svc, c = service
    proc = psutil.Process(svc.proc.pid)  # type: ignore[union-attr]
    wait_until(lambda: all(up(c, cam) for cam in CAMERAS[:3]), 90, what="cameras up")
    rss0 = proc.memory_info().rss
    with ThreadPoolExecutor(4) as pool:
        jobs = [pool.submit(f, c, world) for f in (proxied_faults, flappy_faults, snapshot_faults, codec_fault)]
        for job in jobs:
            job.result()
    rss1 = proc.memory_info().rss

    def burst() -> None:
        with ThreadPoolExecutor(2) as pool:
            for job in [pool.submit(more_reconnects, c, world, kind) for kind in ("flappy", "snap")]:
                job.result()

    # Leak check: pools that grow on demand (the API's worker threads, the scheduler's, webhook senders, decoder
    # threads) may still grow during the first burst on a busy machine; once it has warmed them at this very
    # concurrency, a second burst of the same reconnects must add no thread and no memory.
    burst()
    threads1 = proc.num_threads()
    burst()
    # Idle API workers expire after ~10 s; a closed session's decoder goes with it (its error is kept without
    # the traceback that once held the decoder, and its threads, until the camera's next error).
    time.sleep(15)
    threads2 = proc.num_threads()
    assert threads2 - threads1 <= 2, (threads1, threads2)
    rss2 = proc.memory_info().rss
    reconnects = sum(c.value("onestop_camera_reconnects_total", camera=cam) or 0 for cam in CAMERAS)
    print(f"\nfaults injected: {dict(sorted(INJECTED.items()))}; reconnects: {reconnects:.0f}")
    print(f"service RSS {rss0 / 2**20:.0f} -> {rss1 / 2**20:.0f} -> {rss2 / 2**20:.0f} MiB, "
          f"threads {threads1} -> {threads2}")
    # Bounded: the 50 MB bodies were never held whole; reconnects leave no buffer and no thread behind.
    # The first phase also warms decoders and pools (908 -> 1000 MiB here on a quiet machine, 1143 -> 1270 on a
    # loaded one, 932 -> 1138 and 908 -> 1170 with five other jobs on the two cores); a leak shows in the second
    # comparison, over two equal bursts.
    assert rss1 - rss0 < 320 * 2**20 and rss2 - rss1 < 40 * 2**20

    # A clear warning line per outage: the camera, its redacted URL, the reason label.
    warnings = [r["msg"] for r in log_records(svc) if r.get("level") == "warning" and "msg" in r]
    expected = {("snap", reason) for reason in SNAPSHOT_FAULTS.values()} | {("proxied", "timeout"),
                                                                            ("codec", "codec")}
    for camera, reason in expected:
        assert any(m.startswith(f"camera {camera} (") and f"): {reason}: " in m for m in warnings), (camera, reason)
    assert all("***@" in m for m in warnings if m.startswith("camera ") and "rtsp://" in m)


def test_no_alert_notification_lost_or_doubled(world: World, service: tuple[MonitorProcess, Client]) -> None:
    svc, c = service
    def settled() -> Any:
        active = c.request("GET", "/api/v1/alerts", world.api_token).json()["active"]
        depth = c.value("onestop_webhook_queue_depth")
        return depth == 0 and not active

    wait_until(settled, 60, what="every alert resolved and delivered")
    db = sqlite3.connect(f"file:{world.tmp / 'state' / 'onestop.db'}?mode=ro", uri=True)
    stored = dict(db.execute("SELECT key, status FROM notifications").fetchall())
    states = Counter(s for (s,) in db.execute("SELECT state FROM deliveries"))
    db.close()
    acked = [r for r in world.receiver.acked() if r.key]
    print(f"notifications: {Counter(stored.values())}, deliveries: {dict(states)}")
    assert states == {"delivered": len(stored)}
    assert Counter(r.key for r in acked) == Counter(stored.keys())  # each one delivered, exactly once
    assert all(verify_signature(world.secret, r.body, r.headers["x-onestop-signature"], time.time()) for r in acked)
    per_rule = Counter((r.json()["rule"], r.json()["status"]) for r in acked)
    for cam in CAMERAS:
        fired, resolved = per_rule[(f"camera_down:{cam}", "firing")], per_rule[(f"camera_down:{cam}", "resolved")]
        assert fired >= 1 and fired == resolved, (cam, fired, resolved)


def test_access_control_on_the_real_service(world: World, service: tuple[MonitorProcess, Client]) -> None:
    svc, c = service
    assert c.request("GET", "/healthz").status_code == 200
    assert c.request("GET", "/api/v1/status").status_code == 401
    assert c.request("GET", "/api/v1/status", "not-a-token-at-all").status_code == 401
    assert c.request("GET", "/api/v1/status", world.viewer_token).status_code == 200
    assert c.request("GET", "/api/v1/cameras", world.api_token).status_code == 200
    assert c.request("POST", "/api/v1/reload", world.viewer_token).status_code == 403
    assert c.request("GET", "/api/v1/cameras/snap/snapshot.jpg?raw=true", world.api_token).status_code == 403
    r = c.request("GET", "/api/v1/cameras/snap/snapshot.jpg", world.viewer_token)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert c.request("GET", "/metrics").status_code == 401
    views = [r for r in log_records(svc) if r.get("logger") == "monitor.access" and r.get("event") == "snapshot_view"]
    assert views and (views[-1]["who"], views[-1]["camera"], views[-1]["raw"]) == ("kiosk", "snap", False)
    # Bad input: 422 naming the field, never echoing the value (it may be a token or a URL).
    for method, path, kw in [("GET", f"/api/v1/alerts?limit={world.secret}", {}),
                             ("GET", f"/api/v1/status?site=x&token={world.secret}", {}),
                             ("POST", "/api/v1/alerts/test", {"json": {"site": "ward", "target": 7,
                                                                      "x": world.secret}})]:
        r = c.request(method, path, world.api_token, **kw)
        assert r.status_code == 422 and world.secret not in r.text, r.text


def test_sighup_and_api_reload_on_the_real_service(world: World, service: tuple[MonitorProcess, Client]) -> None:
    svc, c = service
    keep = {cam: c.value("onestop_camera_reconnects_total", camera=cam) for cam in ("proxied", "flappy")}
    started = Counter(r["msg"].split(":")[0] for r in log_records(svc) if "receiving frames" in r.get("msg", ""))
    cfg = world.config()
    cams = cfg["sites"][0]["cameras"]
    cfg["sites"][0]["cameras"] = [cam for cam in cams if cam["id"] != "codec"] + [
        {"id": "extra", "url": "package://ultralytics/assets/zidane.jpg", "sample_every": "1s"}]
    cfg["sites"][0]["cameras"][2]["zones"][0]["polygon"] = [[0, 0.6], [1, 0.6], [1, 1], [0, 1]]  # snap changed
    cfg["sites"][0]["alerts"]["rules"] = [r for r in cfg["sites"][0]["alerts"]["rules"] if r["camera"] != "codec"]
    write_yaml(svc.config_path, {**cfg, "service": {**cfg["service"], "port": svc.port, "host": "127.0.0.1"}})
    os.kill(svc.proc.pid, signal.SIGHUP)  # type: ignore[union-attr]
    wait_until(lambda: up(c, "extra") and 'camera="codec"' not in c.metrics(), 60, what="reload applied")
    fresh_sample(c, "proxied")
    fresh_sample(c, "flappy")
    assert {cam: c.value("onestop_camera_reconnects_total", camera=cam) for cam in keep} == keep
    again = Counter(r["msg"].split(":")[0] for r in log_records(svc) if "receiving frames" in r.get("msg", ""))
    assert again["camera proxied"] == started["camera proxied"] and again["camera flappy"] == started["camera flappy"]

    # An invalid config is refused with check-config's own lines; the running one goes on.
    broken = dict(cfg)
    broken["sites"] = [{**cfg["sites"][0], "cameras": [*cfg["sites"][0]["cameras"][:-1], {
        "id": "extra", "url": f"package://cam-operator:{world.secret}@nowhere/x.jpg",
        "zones": [{"id": "z", "kind": "staff", "counter": "desk-9", "polygon": [[0, 0], [1, 0], [1, 1]]}]}]}]
    write_yaml(svc.config_path, {**broken, "service": {**cfg["service"], "port": svc.port, "host": "127.0.0.1"}})
    r = c.request("POST", "/api/v1/reload", world.api_token)
    check = run_cli("check-config", str(svc.config_path), env=world.env())
    world.responses += [check.stdout, check.stderr]
    assert r.status_code == 400 and check.returncode == 1
    assert r.json()["errors"] == check.stderr.splitlines()
    assert any("package '?' in 'package://***@nowhere/x.jpg' is not installed" in e for e in r.json()["errors"])
    fresh_sample(c, "extra")
    refused = run_cli("run", "--config", str(svc.config_path), env=world.env())
    assert refused.returncode == 2
    world.responses += [refused.stdout, refused.stderr]


def test_the_secret_never_leaves_the_service(world: World, service: tuple[MonitorProcess, Client]) -> None:
    svc, c = service
    for path in ("/openapi.json", "/docs", "/api/v1/status", "/api/v1/cameras", "/api/v1/alerts?limit=1000",
                 "/api/v1/cameras/nope/snapshot.jpg", "/readyz"):
        c.request("GET", path, world.api_token)
    c.request("POST", "/api/v1/alerts/test", world.api_token, json={"site": "ward", "target": "sup"})
    c.metrics()
    assert svc.stop() == 0, svc.log_tail()
    log = svc.log_path.read_text(errors="replace")
    outputs: list[Any] = [log, *world.responses]
    leaks = [o[max(0, o.find(world.secret) - 200):o.find(world.secret) + 50] for o in outputs if world.secret in o]
    assert not leaks, leaks
    assert "camera snap (http://***@127.0.0.1:" in log and "rtsp://***@127.0.0.1:" in log
    print(f"\nchecked {len(outputs)} outputs ({sum(len(o) for o in outputs) / 1e6:.1f} MB): secret found in none")
