"""A camera whose view moved: its zones and the counters they feed read unknown, then known again when it is back."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from monitor.config import CameraConfig, CounterConfig, SiteConfig, SmoothingConfig, ZoneConfig
from monitor.schedule.calendar import SiteCalendar
from monitor.state.tracker import SiteTracker

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=VN).timestamp()  # a Tuesday, office open
SQ = [(0, 0), (1, 0), (1, 1), (0, 1)]


def site() -> SiteConfig:
    def cam(cid: str, *zones: ZoneConfig) -> CameraConfig:
        return CameraConfig(id=cid, url=f"rtsp://127.0.0.1/{cid}", sample_every=1, zones=list(zones))

    return SiteConfig(id="s", name="S", counters=[CounterConfig(id="desk-1")], cameras=[
        cam("desk-cam", ZoneConfig(id="staff", kind="staff", counter="desk-1", polygon=SQ),
            ZoneConfig(id="front", kind="service", counter="desk-1", polygon=SQ)),
        cam("hall-cam", ZoneConfig(id="waiting", kind="queue", polygon=SQ))])


def feed(tr: SiteTracker, t: float) -> None:
    tr.observe("desk-cam", t, {"staff": 1, "front": 1})
    tr.observe("hall-cam", t, {"waiting": 3})


def test_moved_view_makes_its_zones_unknown_and_back_restores_them() -> None:
    s = site()
    tr = SiteTracker(s, SmoothingConfig(), SiteCalendar(s))
    for i in range(3):
        feed(tr, T0 + i)
    now = dt.datetime.fromtimestamp(T0 + 2.5, dt.UTC)
    before = tr.snapshot(now)
    assert before.zones["front"].value == 1 and before.counters["desk-1"].state == "serving"

    tr.view_moved("desk-cam", True)
    moved = tr.snapshot(now)
    assert moved.zones["front"].value is None and moved.zones["staff"].value is None
    assert moved.zones["front"].raw is None
    assert moved.counters["desk-1"].staffed is None and moved.counters["desk-1"].state is None
    assert moved.zones["waiting"].value == 3  # another camera of the site is not affected

    tr.view_moved("desk-cam", False)
    assert tr.snapshot(now).zones["front"].value == 1
    assert tr.snapshot(now).counters["desk-1"].state == "serving"


def test_moved_flag_of_an_unknown_camera_is_harmless() -> None:
    s = site()
    tr = SiteTracker(s, SmoothingConfig(), SiteCalendar(s))
    feed(tr, T0)
    tr.view_moved("no-such-camera", True)
    assert tr.snapshot(dt.datetime.fromtimestamp(T0 + 0.5, dt.UTC)).zones["front"].value == 1
