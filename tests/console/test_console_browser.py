"""The web console in a real browser (Debian's chromium via Playwright) on the real service over a real RTSP camera.

One service and one browser for the module: sign-in, overview, camera page, drawing three zones with the mouse and
saving them into the ward's own file (comments kept), the count showing up, a viewer refused, an invalid polygon
explained, two tabs editing at once, /docs and /redoc offline; and no request to any other host.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.rtsp_server import RtspServer, gstreamer_problem
from tests.console.browser import Tab, bearer, shot
from tests.support.paths import ONE_BY_ONE
from tests.support.process import MonitorProcess, metric_value, wait_until

pytestmark = pytest.mark.slow

ADMIN = "console-admin-token-5f1e2d3c4b"
VIEWER = "console-viewer-token-9a8b7c6d5e"

if not ONE_BY_ONE.is_file():
    pytest.skip(f"shared footage missing: {ONE_BY_ONE}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' (playwright)")

# A ward in its own file with comments: the editor must keep them when it writes the zones back.
WARD = """\
# Phòng thử: the room of the shared one-by-one clip, one ward per file (sites.d/<site>.yaml).
id: room
name: "Phòng thử"
province: "Lào Cai"
hours:
  mon-sun: ["00:00-24:00"]        # open around the clock, so counter states are live at any hour
holidays: {country: null}
counters:
  - {id: table, name: "Bàn"}      # the high table works as a counter
cameras:
  - id: hall-1
    url: URL
    sample_every: 1s
    zones:
      # The person at the table stands here.
      - {id: table-front, kind: service, counter: table, polygon: [[0.35, 0.55], [0.85, 0.55], [0.85, 1], [0.35, 1]]}
      # Nobody sits behind the table.
      - {id: table-staff, kind: staff, counter: table, polygon: [[0.75, 0], [1, 0], [1, 0.5], [0.75, 0.5]]}
"""

# A second ward in another province, on the still pictures that ship with ultralytics: more tiles and a filter.
WARD_2 = """\
id: demo-ward
name: "Phường Mẫu"
province: "Hà Nội"
hours: {mon-sun: ["00:00-24:00"]}
holidays: {country: null}
counters:
  - {id: desk-1, name: "Quầy 1 - Tư pháp"}
  - {id: desk-2, name: "Quầy 2 - Đất đai"}
cameras:
  - id: street-queue
    url: package://ultralytics/assets/bus.jpg
    sample_every: 3s
    zones:
      - {id: waiting, kind: queue, polygon: [[0, 0.7], [1, 0.7], [1, 1], [0, 1]]}
      - {id: desk-2-staff, kind: staff, counter: desk-2, polygon: [[0, 0], [0.3, 0], [0.3, 0.2], [0, 0.2]]}
  - id: desk-1-cam
    url: package://ultralytics/assets/zidane.jpg
    sample_every: 3s
    zones:
      - {id: desk-1-staff, kind: staff, counter: desk-1, anchor: head, polygon: [[0.6, 0], [1, 0], [1, 1], [0.6, 1]]}
      - {id: desk-1-front, kind: service, counter: desk-1, anchor: head, polygon: [[0, 0], [0.6, 0], [0.6, 1], [0, 1]]}
"""

# The three zones drawn by mouse (fractions of the picture): the floor at the table, where the person's feet are;
# the empty floor on the left; a strip at the top.
DRAWN = [
    [(0.32, 0.6), (0.9, 0.6), (0.9, 0.99), (0.32, 0.99)],
    [(0.03, 0.6), (0.28, 0.6), (0.28, 0.97), (0.03, 0.97)],
    [(0.05, 0.05), (0.6, 0.05), (0.6, 0.2)],
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """20 s of the clip in which one person stands at the table the whole time (checked by eye: 93-119 s)."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is missing: run scripts/install-system-deps.sh")
    out = tmp_path_factory.mktemp("clip") / "table.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", "95", "-t", "20", "-i", str(ONE_BY_ONE),
                    "-c:v", "libx264", "-g", "10", "-bf", "0", "-pix_fmt", "yuv420p", "-an", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def service(clip, tmp_path_factory):
    problem = gstreamer_problem()
    if problem:
        pytest.fail(problem)
    work = tmp_path_factory.mktemp("console")
    with RtspServer(clip, name="hall-1") as rtsp:
        (work / "sites.d").mkdir()
        (work / "sites.d" / "room.yaml").write_text(WARD.replace("URL", rtsp.url), encoding="utf-8")
        (work / "sites.d" / "ward-2.yaml").write_text(WARD_2, encoding="utf-8")
        config = {"sites_dir": "sites.d", "sites": [],
                  "service": {"tokens": [{"name": "ana", "env": "CONSOLE_ADMIN", "role": "admin"},
                                         {"name": "vic", "env": "CONSOLE_VIEWER", "role": "viewer"}]}}
        svc = MonitorProcess(config, work, env={"CONSOLE_ADMIN": ADMIN, "CONSOLE_VIEWER": VIEWER}).start()
        try:
            wait_until(lambda: svc.get("/api/v1/cameras/hall-1/sample", headers=bearer(VIEWER)).status_code == 200,
                       90, what="first sample")
            yield svc
        finally:
            assert svc.stop() == 0, svc.log_tail()


def click_at(page, fx: float, fy: float) -> None:
    box = page.locator("svg.overlay").bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def draw_zone(page, points) -> None:
    page.click("#new-zone")
    for x, y in points:
        click_at(page, x, y)
    click_at(page, *points[0])  # back on the first corner closes it


def ward_file(service) -> Path:
    return service.config_path.parent / "sites.d" / "room.yaml"


def test_console_end_to_end(service, browser, tmp_path):
    base = service.base
    viewer = Tab(browser, base)
    # Sign in as a viewer: the overview shows the room's counter tile live, in Vietnamese.
    viewer.sign_in(VIEWER)
    page = viewer.page
    tile = page.locator(".tile[data-counter=table]")
    tile.wait_for()
    assert tile.get_attribute("data-state") in {"serving", "waiting_unstaffed", "idle_staffed", "unstaffed",
                                                "closed", "unknown"}
    assert "Tổng quan" in page.locator("header.top nav").inner_text()
    assert page.locator("#f-province option", has_text="Lào Cai").count() == 1
    page.locator(".cam[data-camera=hall-1].up").wait_for()
    page.locator(".tile[data-counter=desk-1][data-state=serving]").wait_for()  # officer and citizen at desk 1
    page.locator(".tile[data-counter=desk-2][data-state=waiting_unstaffed]").wait_for()  # queue, nobody at desk 2
    page.locator("#updated", has_text="Cập nhật").wait_for()
    first = page.inner_text("#updated")
    # Updated again within the 2 s poll (plus slack). (No wait_for_function: the page's CSP forbids eval.)
    sync_api.expect(page.locator("#updated")).not_to_have_text(first, timeout=5000)
    shot(page, "console-overview", tmp_path)
    page.select_option("#f-province", "Hà Nội")  # the filter: one province's wards only, kept in the address
    page.locator(".site[data-site=room]").wait_for(state="detached")
    assert page.locator(".site").count() == 1 and "province=" in page.url
    page.select_option("#f-province", "")
    page.locator(".site[data-site=room]").wait_for()

    # The viewer may open the editor and try zones, but the service refuses the save.
    page.goto(f"{base}/cameras/hall-1/edit")
    page.locator(".zone-item[data-zone=table-front]").wait_for()
    assert page.locator(".message.warn").count() == 1
    before = ward_file(service).read_text(encoding="utf-8")
    page.click("#save")
    page.locator("#save-message", has_text="chỉ có quyền xem").wait_for()
    assert ward_file(service).read_text(encoding="utf-8") == before
    zones = httpx.get(f"{base}/api/v1/cameras/hall-1/zones", headers=bearer(VIEWER)).json()
    r = httpx.put(f"{base}/api/v1/cameras/hall-1/zones", headers=bearer(VIEWER),
                  json={"version": zones["version"], "zones": zones["zones"][:1]})
    assert r.status_code == 403

    # English switch: the same page, every text from the other half of the catalogue.
    page.click("#lang")
    page.locator("text=Edit zones — camera hall-1").wait_for()
    page.click("#lang")
    page.locator("text=Sửa vùng — camera hall-1").wait_for()

    # An admin: camera page with boxes and anchor points over the blurred frame, then the editor.
    admin = Tab(browser, base)
    admin.sign_in(ADMIN, "/cameras/hall-1")
    page = admin.page
    page.locator("svg.overlay .det").first.wait_for()
    page.locator("#side .zone-list li[data-zone=table-front]").wait_for()
    assert page.locator("#edit-link").is_visible()
    shot(page, "console-camera", tmp_path)

    page.click("#edit-link")
    page.locator(".zone-item[data-zone=table-staff]").wait_for()
    started = time.monotonic()
    for points in DRAWN:
        draw_zone(page, points)
    page.locator(".zone-item[data-zone=zone-3]").wait_for()
    drawing_s = time.monotonic() - started
    print(f"\nconsole: drew three zones (11 clicks) in {drawing_s:.1f} s")
    # What each zone would count comes from the service's own rule (one person, one role): the person's feet are
    # in zone-1 too, but being served at table-front they are not also waiting in a queue.
    page.locator(".zone-item[data-zone=table-front] .count", has_text="Sẽ đếm: 1").wait_for()
    page.locator(".zone-item[data-zone=zone-1] .count", has_text="Sẽ đếm: 0").wait_for()
    page.locator(".zone-item[data-zone=zone-2] .count", has_text="Sẽ đếm: 0").wait_for()
    page.locator(".zone-item[data-zone=zone-3] .count", has_text="Sẽ đếm: 0").wait_for()
    # Outside the rule (shared), zone-1 counts everyone standing in it.
    page.locator(".zone-item[data-zone=zone-1] .zone-pick").click()
    page.check(".zone-form input[name=shared]")
    page.locator(".zone-item[data-zone=zone-1] .count", has_text="Sẽ đếm: 1").wait_for()
    page.locator("svg.overlay .det.hl").first.wait_for()  # its detection highlighted on the picture
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "console-editor", tmp_path)

    before_file = ward_file(service).read_text(encoding="utf-8")
    samples_before = metric_value(service.metrics(), "onestop_frames_sampled_total", camera="hall-1")
    page.click("#save")
    page.locator("#save-message", has_text="Đã lưu").wait_for()
    text = ward_file(service).read_text(encoding="utf-8")
    # The zones are in the ward's own file; its comments and the untouched zones' lines are as they were.
    for line in before_file.splitlines():
        assert line in text.splitlines(), line
    assert text.count("{id: zone-") == 3 and "- {id: zone-1, kind: queue, shared: true, polygon: [[0.32, 0.6]" in text
    assert (ward_file(service).parent / "room.yaml.bak").read_text(encoding="utf-8") == before_file
    # Live within 3 samples: the reload applied the zones, the next samples count them.
    headers = bearer(ADMIN)
    zone = wait_until(lambda: next((z for s in service.get("/api/v1/status", headers=headers).json()["sites"]
                                    for z in s["zones"] if z["id"] == "zone-1" and z["value"] is not None), None),
                      30, interval=0.2, what="zone-1 counted")
    samples_after = metric_value(service.metrics(), "onestop_frames_sampled_total", camera="hall-1")
    assert samples_after - samples_before <= 3, (samples_before, samples_after)
    assert zone["last_count"] == 1
    log = service.log_tail(20000)
    saved = [json.loads(line) for line in log.splitlines() if "zones_saved" in line]
    entry = saved[-1]  # the access log's fields are keys of its JSON line
    assert (entry["who"], entry["camera"], entry["added"], entry["removed"]) == ("ana", "hall-1",
                                                                                 ["zone-1", "zone-2", "zone-3"], [])

    # An invalid polygon (edges crossing): check-config's own message next to the zone, and nothing written.
    draw_zone(page, [(0.62, 0.08), (0.72, 0.18), (0.72, 0.08), (0.62, 0.18)])
    bad = page.locator(".zone-item[data-zone=zone-4].has-error")
    bad.locator(".problems .error", has_text="self-intersecting").wait_for()
    page.click("#save")
    page.locator("#save-message", has_text="có lỗi").wait_for()
    assert ward_file(service).read_text(encoding="utf-8") == text
    page.click("#undo")
    page.locator(".zone-item[data-zone=zone-4]").wait_for(state="detached")

    # Two tabs on the same camera: the first save wins, the second is refused with a clear message.
    tab_b = admin.new_page()
    admin.sign_in(ADMIN, "/cameras/hall-1/edit", page=tab_b)
    tab_b.locator(".zone-item[data-zone=zone-3]").wait_for()
    for p, zone_id in ((page, "zone-3"), (tab_b, "zone-2")):
        p.locator(f".zone-item[data-zone={zone_id}] .zone-pick").click()
        p.locator(".zone-form button", has_text="Xoá vùng").click()
        p.locator(f".zone-item[data-zone={zone_id}]").wait_for(state="detached")
    page.click("#save")
    page.locator("#save-message", has_text="Đã lưu").wait_for()
    saved_a = ward_file(service).read_text(encoding="utf-8")
    assert "zone-3" not in saved_a and "zone-2" in saved_a
    tab_b.click("#save")
    tab_b.locator("#save-message", has_text="changed since you "
                            "loaded it").wait_for()
    assert ward_file(service).read_text(encoding="utf-8") == saved_a

    # /docs and /redoc from the service's own files.
    docs = admin.new_page()
    docs.goto(f"{base}/docs")  # open pages: no token needed
    docs.locator(".swagger-ui .info .title", has_text="onestop-monitor").wait_for()
    docs.get_by_text("/api/v1/cameras/{camera_id}/zones", exact=True).first.wait_for()
    docs.goto(f"{base}/redoc")
    docs.locator("h1", has_text="onestop-monitor").wait_for()

    # Nothing left the service: console pages asked only it; ReDoc's one hard-coded logo URL was stopped by the
    # Content-Security-Policy before any connection.
    assert viewer.foreign() == []
    assert [(u, admin.failed.get(u)) for u in admin.foreign()] == [
        ("https://cdn.redoc.ly/redoc/logo-mini.svg", "csp")]
    console_csp = [m for m in viewer.console + admin.console
                   if "Content Security Policy" in m and "logo-mini" not in m]
    assert console_csp == []
    assert not [m for m in viewer.console + admin.console if m.startswith("pageerror")]
    viewer.close()
    admin.close()


def test_phone_layout_touch_drawing_and_security_headers(service, browser, tmp_path):
    phone = Tab(browser, service.base, viewport=(390, 844), touch=True)
    phone.sign_in(ADMIN)
    page = phone.page
    page.locator(".tile[data-counter=table]").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # one column, nothing wider than the screen
    shot(page, "console-phone", tmp_path)
    # A zone drawn with the finger: taps on the picture, the first corner again to close it.
    page.goto(f"{service.base}/cameras/hall-1/edit")
    page.locator(".zone-item").first.wait_for()
    before = page.locator(".zone-item").count()
    page.tap("#new-zone")
    box = page.locator("svg.overlay").bounding_box()
    for fx, fy in [(0.1, 0.3), (0.3, 0.3), (0.3, 0.5), (0.1, 0.3)]:
        page.touchscreen.tap(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    page.locator(".zone-item").nth(before).wait_for()
    assert page.locator(".zone-item").count() == before + 1
    assert not [m for m in phone.console if m.startswith("pageerror")]
    phone.close()
    r = httpx.get(service.base + "/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in r.text and " on" not in r.text.replace("\n", " ").split("<body", 1)[1].split(">")[0]
