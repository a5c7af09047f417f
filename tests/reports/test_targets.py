"""Alert thresholds and targets exported as metrics (one source for Prometheus rules), and the session length."""

from __future__ import annotations

import datetime as dt

from monitor.config import AppConfig, load_config_text
from monitor.metrics import Metrics
from monitor.metrics.publisher import SitePublisher
from monitor.reports.targets import publish_targets, targets_of
from monitor.state.model import CounterReading, SiteSnapshot

SQUARE = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]


def cfg(rules: list[dict], **reports: object) -> AppConfig:
    return AppConfig.model_validate({"sites": [{
        "id": "s", "name": "S", "counters": [{"id": "a"}],
        "cameras": [{"id": "cam", "url": "rtsp://x/1", "zones": [
            {"id": "q1", "kind": "queue", "polygon": SQUARE}, {"id": "q2", "kind": "queue", "polygon": SQUARE},
            {"id": "seat", "kind": "staff", "counter": "a", "polygon": SQUARE}]}],
        "alerts": {"rules": rules}}], "reports": reports})


def value(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


RULES = [{"kind": "long_queue", "zone": "q1", "min_people": 8, "for": "10m"},
         {"kind": "long_queue", "zone": "q1", "min_people": 6, "for": "20m"},
         {"kind": "long_service", "counter": "a", "for": "12m"},
         {"kind": "counter_unstaffed", "counter": "a", "for": "15m"},
         {"kind": "camera_down", "camera": "cam", "for": "5m"}]


def test_thresholds_come_from_the_rules_else_the_reports_default() -> None:
    m = Metrics()
    publish_targets(cfg(RULES, queue_threshold=4, wait_target="20m"), m)
    zone = {"site": "s", "camera": "cam"}
    assert value(m, "onestop_zone_queue_threshold", **zone, zone="q1") == 6  # the lowest of its rules
    assert value(m, "onestop_zone_queue_threshold_for_seconds", **zone, zone="q1") == 600
    assert value(m, "onestop_zone_queue_threshold", **zone, zone="q2") == 4  # no rule: the default
    assert value(m, "onestop_zone_queue_threshold_for_seconds", **zone, zone="q2") is None
    assert value(m, "onestop_zone_wait_target_seconds", **zone, zone="q2") == 1200
    assert value(m, "onestop_counter_long_service_threshold_seconds", site="s", counter="a") == 720
    assert value(m, "onestop_counter_unstaffed_threshold_seconds", site="s", counter="a") == 900
    assert value(m, "onestop_camera_down_threshold_seconds", site="s", camera="cam") == 300
    assert targets_of(cfg(RULES)).queue[("s", "q1")] == 6


def test_a_reload_that_drops_a_rule_drops_its_series() -> None:
    m = Metrics()
    publish_targets(cfg(RULES), m)
    publish_targets(cfg(RULES[:2]), m)
    assert value(m, "onestop_counter_long_service_threshold_seconds", site="s", counter="a") is None
    assert value(m, "onestop_camera_down_threshold_seconds", site="s", camera="cam") is None
    assert value(m, "onestop_zone_queue_threshold", site="s", camera="cam", zone="q1") == 6


def test_the_current_session_length_is_exported_and_removed_when_none() -> None:
    c = cfg([])
    m = Metrics()
    pub = SitePublisher(c.sites[0], m)
    at = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    reading = CounterReading("s", "a", None, True, "serving", 1.0, 95.0)
    pub.publish(SiteSnapshot("s", at, True, {}, {"a": reading}))
    assert value(m, "onestop_counter_session_seconds", site="s", counter="a") == 95.0
    pub.publish(SiteSnapshot("s", at, True, {}, {"a": CounterReading("s", "a", None, True, "idle_staffed", 0.0,
                                                                     None)}))
    assert value(m, "onestop_counter_session_seconds", site="s", counter="a") is None


def test_report_schedules_are_checked_against_targets_and_sites() -> None:
    text = """
sites: [{id: s, name: S}]
reports:
  webhooks: [{id: leaders, url: "http://127.0.0.1:9/r"}]
  schedule:
    - {id: d, every: day, webhooks: [leaders, nobody], email_to: [a@b.vn], site: other, at: "25:00"}
"""
    try:
        load_config_text(text)
    except Exception as exc:  # noqa: BLE001 - ConfigError lists every issue
        msgs = "\n".join(str(i) for i in exc.issues)  # type: ignore[attr-defined]
    else:
        raise AssertionError("config accepted")
    assert "unknown report webhook 'nobody'" in msgs
    assert "e-mail recipients need reports.email" in msgs
    assert "unknown site 'other'" in msgs
    assert "bad time '25:00'" in msgs
