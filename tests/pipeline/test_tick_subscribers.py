"""Clock-tick subscribers: each tick reaches them in order with the services completed since, and a stuck one
holds up neither the clock nor inference."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from monitor.pipeline.events import SiteTick, TickFanout
from monitor.reports.recorder import HistoryRecorder
from tests.pipeline.test_batching import CountingDetector, make_engine


def test_a_stuck_subscriber_blocks_neither_the_clock_nor_inference(tmp_path: Path) -> None:
    det = CountingDetector(max_batch=8)
    engine = make_engine(tmp_path, det, cameras=2)
    gate = threading.Event()
    got: list[Sequence[SiteTick]] = []

    def stuck(ticks: Sequence[SiteTick]) -> None:
        gate.wait(30)
        got.append(ticks)

    engine.notified.subscribe("stuck", stuck)
    try:
        for _ in range(3):  # the subscriber is stuck on the first tick; the clock and the worker go on
            for cid in engine.states.cameras:
                engine.sampler.sample(cid)
            engine.worker.process([q.item for q in engine.sampler.queue.take(8, timeout=0)])
            engine.tick()
        assert len(det.calls) == 3 and got == []
    finally:
        gate.set()
    assert engine.drain(10)
    assert len(got) == 3
    assert [t[0].snapshot.at for t in got] == sorted(t[0].snapshot.at for t in got)
    engine.stop()


def test_a_subscriber_too_far_behind_loses_the_oldest_ticks_and_they_are_counted() -> None:
    gate = threading.Event()
    dropped: list[str] = []
    fan = TickFanout(maxsize=2, on_drop=dropped.append)
    seen: list[int] = []
    inside = threading.Event()

    def slow(ticks: Sequence[SiteTick]) -> None:
        inside.set()
        gate.wait(30)
        seen.append(len(ticks))

    fan.subscribe("slow", slow)
    fan.publish([None])  # type: ignore[list-item]
    assert inside.wait(10)
    for n in range(2, 6):
        fan.publish([None] * n)  # type: ignore[list-item]
    gate.set()
    assert fan.drain(10)
    # The first was being handled; of the four queued after it only the newest two were kept.
    assert seen[0] == 1 and seen[-2:] == [4, 5] and len(seen) == 3
    assert dropped == ["slow", "slow"] and fan.dropped() == {"slow": 2}
    fan.close()


def test_engine_ticks_carry_completed_services_to_the_history(tmp_path: Path) -> None:
    det = CountingDetector(max_batch=8)
    engine = make_engine(tmp_path, det, cameras=1)
    ticks: list[SiteTick] = []
    engine.notified.subscribe("probe", lambda tt: ticks.extend(tt))
    rec = HistoryRecorder(engine.loaded.config, tmp_path / "state")
    engine.notified.subscribe("history", rec.on_ticks)
    from monitor.state.sessions import ServiceCompleted

    with engine.states.lock:  # what the worker records when a tracker reports a finished session
        engine.states.sites["s"].completed.append(ServiceCompleted("desk", 42.0, 1_700_000_000.0))
    engine.tick()
    engine.tick()
    assert engine.drain(10)
    assert [len(t.services) for t in ticks] == [1, 0] and ticks[0].services[0].duration_s == 42.0
    engine.stop()
    rec.close()
    from monitor.reports.history import HistoryStore

    store = HistoryStore(tmp_path / "state")
    assert store.counts()["services"] == 1
    store.close()
