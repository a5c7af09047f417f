"""Outputs as subscribers: alerts see every tick in order, a stalled alert database holds up neither inference
nor the metrics, and a reload's removals are not undone by a tick taken before it."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import generate_latest

from monitor.alerts.alerting import Alerting
from monitor.config import LoadedConfig
from monitor.config.reload_plan import plan_reload
from monitor.metrics import Metrics
from monitor.pipeline.engine import Engine
from monitor.pipeline.events import SiteTick, TickFanout
from monitor.state.sessions import ServiceCompleted
from tests.pipeline.test_batching import CountingDetector, TaggedSource, engine_config, make_engine
from tests.support.process import metric_value

QUEUE_RULE = {"kind": "long_queue", "zone": "q1", "min_people": 1, "for": 0}


def test_an_every_lane_loses_nothing_its_publisher_waits_for_room() -> None:
    fan = TickFanout(maxsize=2)
    gate, inside, published = threading.Event(), threading.Event(), threading.Event()
    seen: list[int] = []

    def slow(ticks: Sequence[SiteTick]) -> None:
        inside.set()
        assert gate.wait(30)
        seen.append(len(ticks))

    fan.subscribe("alerts", slow, every=True)
    fan.publish([None])  # type: ignore[list-item]
    assert inside.wait(10)
    fan.publish([None] * 2)  # type: ignore[list-item]
    fan.publish([None] * 3)  # type: ignore[list-item]  # the queue is full now

    def fourth() -> None:
        fan.publish([None] * 4)  # type: ignore[list-item]
        published.set()

    threading.Thread(target=fourth, daemon=True).start()
    assert not published.wait(0.5)  # the publisher waits for room instead of dropping the oldest
    gate.set()
    assert published.wait(10) and fan.drain(10)
    assert seen == [1, 2, 3, 4] and fan.dropped() == {"alerts": 0}
    fan.close()


def test_a_stalled_alert_database_holds_up_neither_inference_nor_the_metrics(tmp_path: Path) -> None:
    cfg = engine_config(tmp_path, 8, cameras=2, alerts={"rules": [QUEUE_RULE]})
    metrics = Metrics()
    alerts = Alerting(cfg.sites, cfg.service.state_dir, metrics)
    det = CountingDetector(max_batch=8)
    engine = Engine(LoadedConfig(cfg, None), {"person": det}, metrics, alerts=alerts, source_factory=TaggedSource)
    notified: list[SiteTick] = []
    engine.notified.subscribe("probe", notified.extend)
    # Another process holds the outbox's write lock, as a slow disk with synchronous=FULL would.
    holder = sqlite3.connect(cfg.service.state_dir / "onestop.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for _ in range(3):
            for cid in engine.states.cameras:
                engine.sampler.sample(cid)
            engine.worker.process([q.item for q in engine.sampler.queue.take(8, timeout=0)])
            engine.tick()
        assert len(det.calls) == 3  # inference went on while the alert stage waits for the database
        deadline = time.monotonic() + 10
        while metric_value(generate_latest(metrics.registry).decode(), "onestop_zone_people", zone="q2") != 2:
            assert time.monotonic() < deadline, "the metrics were held up by the alerts"
            time.sleep(0.05)
        assert notified == []  # the alert stage is still inside its first commit
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert engine.drain(20)
    # Every tick reached the alert stage, in order; the first one fired the rule.
    assert [t.snapshot.at for t in notified] == sorted(t.snapshot.at for t in notified) and len(notified) == 3
    assert [(n.rule, n.status) for n in notified[0].notifications] == [("long_queue:q1", "firing")]
    assert [a.rule for a in alerts.active() if a.phase == "firing"] == ["long_queue:q1"]
    engine.stop()
    alerts.close()


def test_completed_services_reach_the_metrics_with_their_tick(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, CountingDetector(max_batch=8), cameras=1)
    with engine.states.lock:
        engine.states.sites["s"].completed.append(ServiceCompleted("desk", 42.0, 1_700_000_000.0))
    engine.tick()
    assert engine.drain(10)
    text = generate_latest(engine.metrics.registry).decode()
    assert metric_value(text, "onestop_served_total", site="s", counter="desk") == 1
    assert metric_value(text, "onestop_service_seconds_sum", site="s", counter="desk") == 42.0
    engine.stop()


def test_a_tick_taken_before_a_reload_does_not_bring_removed_series_back(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, CountingDetector(max_batch=8), cameras=2)
    for cid in engine.states.cameras:
        engine.sampler.sample(cid)
    engine.worker.process([q.item for q in engine.sampler.queue.take(8, timeout=0)])
    old_ticks = engine.states.tick(time.time())  # taken before the reload, published after it
    new = LoadedConfig(engine_config(tmp_path, 8, cameras=1), None)
    plan = plan_reload(engine.loaded.config, new.config, engine.detector_kinds())
    assert plan.cameras_removed == ("cam2",)
    engine.retire(plan)
    engine.adopt(new, plan)
    engine.metrics_out(old_ticks)
    text = generate_latest(engine.metrics.registry).decode()
    assert 'camera="cam2"' not in text and 'zone="q2"' not in text
    assert metric_value(text, "onestop_zone_people", zone="q1") == 1
    engine.stop()
