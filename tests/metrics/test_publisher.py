"""Snapshots into Prometheus: front visits that were not a service are counted by reason."""

import datetime as dt
from zoneinfo import ZoneInfo

from prometheus_client import generate_latest

from monitor.config import CameraConfig, CounterConfig, SiteConfig, SmoothingConfig, ZoneConfig
from monitor.metrics.publisher import SitePublisher
from monitor.metrics.registry import Metrics
from monitor.schedule.calendar import SiteCalendar
from monitor.state.tracker import SiteTracker

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=VN).timestamp()
SQ = [(0, 0), (1, 0), (1, 1), (0, 1)]
CAM = CameraConfig(id="cam", url="rtsp://127.0.0.1/cam", sample_every=2, zones=[
    ZoneConfig(id="staff", kind="staff", counter="desk", polygon=SQ),
    ZoneConfig(id="front", kind="service", counter="desk", polygon=SQ)])
SITE = SiteConfig(id="s", name="S", counters=[CounterConfig(id="desk")], cameras=[CAM])


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_discarded_visits_are_counted_by_reason_once():
    tracker = SiteTracker(SITE, SmoothingConfig(window=1), SiteCalendar(SITE))
    metrics = Metrics()
    pub = SitePublisher(SITE, metrics)
    t = T0

    def visit(seconds: int, staff: int) -> None:
        nonlocal t
        for _ in range(0, seconds + 1, 2):
            tracker.observe("cam", t, {"staff": staff, "front": 1})
            pub.publish(tracker.snapshot(dt.datetime.fromtimestamp(t, dt.UTC)))
            t += 2
        for _ in range(3):
            tracker.observe("cam", t, {"staff": staff, "front": 0})
            pub.publish(tracker.snapshot(dt.datetime.fromtimestamp(t, dt.UTC)))
            t += 2

    labels = {"site": "s", "counter": "desk"}
    visit(30, staff=0)
    visit(4, staff=1)
    assert sample(metrics, "onestop_sessions_discarded_total", **labels, reason="no_officer") == 1
    assert sample(metrics, "onestop_sessions_discarded_total", **labels, reason="too_short") == 1
    assert sample(metrics, "onestop_sessions_discarded_total", **labels, reason="staff_unknown") == 0
    visit(20, staff=1)
    for _ in range(3):  # publishing the same totals again adds nothing
        pub.publish(tracker.snapshot(dt.datetime.fromtimestamp(t, dt.UTC)))
    assert sample(metrics, "onestop_sessions_discarded_total", **labels, reason="no_officer") == 1
    assert sample(metrics, "onestop_served_total", **labels) == 0  # the engine counts completions, not this
    text = generate_latest(metrics.registry).decode()
    assert 'onestop_sessions_discarded_total{counter="desk",reason="no_officer",site="s"} 1.0' in text
