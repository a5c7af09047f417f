"""Listing and removing labelled series through prometheus-client's public output, for every metric type."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from monitor.config import AppConfig
from monitor.metrics.registry import Metrics
from monitor.metrics.series import prune_series, remove, remove_series, series


def test_series_lists_each_child_once_in_label_order_for_every_type() -> None:
    r = CollectorRegistry()
    g = Gauge("g", "g", ("site", "camera"), registry=r)
    c = Counter("c", "c", ("site", "counter"), registry=r)
    h = Histogram("h", "h", ("site", "counter"), registry=r, buckets=(1, 10))
    g.labels("a", "cam1").set(1)
    g.labels("b", "cam2").set(2)
    c.labels("a", "desk").inc()  # a counter has _total and _created samples: one series
    h.labels("a", "desk").observe(3)  # buckets carry an extra 'le' label: still one series
    assert series(g) == [{"site": "a", "camera": "cam1"}, {"site": "b", "camera": "cam2"}]
    assert series(c) == [{"site": "a", "counter": "desk"}]
    assert series(h) == [{"site": "a", "counter": "desk"}]
    assert series(Gauge("plain", "p", registry=r)) == []


def test_remove_series_drops_only_the_selected_ones() -> None:
    r = CollectorRegistry()
    h = Histogram("h", "h", ("site", "counter"), registry=r, buckets=(1, 10))
    for site in ("a", "b"):
        h.labels(site, "desk").observe(3)
    assert remove_series(h, lambda labels: labels["site"] == "a") == 1
    text = generate_latest(r).decode()
    assert 'site="a"' not in text and 'h_count{counter="desk",site="b"} 1.0' in text
    remove(h, ("a", "desk"))  # gone already: no error
    remove(h, ("b", "desk"))
    assert series(h) == []


def test_prune_series_keeps_what_the_config_still_has() -> None:
    cfg = AppConfig.model_validate({"sites": [{"id": "s", "name": "S", "counters": [{"id": "desk"}], "cameras": [
        {"id": "cam", "url": "rtsp://127.0.0.1/x", "zones": [
            {"id": "q", "kind": "queue", "polygon": [[0, 0], [1, 0], [1, 1]]}]}]}]})
    m = Metrics()
    m.zone_people.labels("s", "cam", "q", "queue", "").set(3)
    m.zone_people.labels("s", "cam", "gone", "queue", "").set(1)  # a zone the config no longer has
    m.camera_up.labels("s", "cam").set(1)
    m.camera_up.labels("old", "cam9").set(1)  # a site the config no longer has
    m.served.labels("s", "desk").inc()
    m.webhook_queue_depth.set(2)  # no site label: always kept
    assert prune_series(m, cfg) == 2
    text = generate_latest(m.registry).decode()
    assert 'zone="gone"' not in text and 'site="old"' not in text
    assert 'zone="q"' in text and 'onestop_served_total{counter="desk",site="s"} 1.0' in text
    assert "onestop_webhook_queue_depth 2.0" in text
