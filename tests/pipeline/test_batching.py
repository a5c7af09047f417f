"""Batched inference across cameras: one worker, one model call per tick, order kept, drops counted, fair."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from prometheus_client import generate_latest

from monitor.config import AppConfig, CameraConfig, LoadedConfig
from monitor.detect.base import Detector
from monitor.detect.detections import Detections
from monitor.metrics import Metrics
from monitor.pipeline.engine import Engine
from monitor.pipeline.queue import SampleQueue
from monitor.sources import CameraSource, Frame, SourceStatus
from tests.support.process import metric_value

CAMERAS = 6


class TaggedSource(CameraSource):
    """A camera whose every frame is filled with its own number, so results can be traced back to it."""

    def __init__(self, camera: CameraConfig) -> None:
        super().__init__(camera)
        self.tag = int(camera.id.removeprefix("cam"))
        self.seq = 0

    def _session(self) -> None:
        """Never started: frames are made by latest()."""

    def start(self) -> None:
        """Nothing to start."""

    def stop(self, timeout: float = 10.0) -> bool:
        """Nothing to stop."""
        return True

    def latest(self) -> Frame:
        self.seq += 1
        return Frame(np.full((48, 64, 3), self.tag, np.uint8), time.time(), None, self.seq)

    def status(self) -> SourceStatus:
        return SourceStatus(True, time.time(), 0, {}, None, "all")


class CountingDetector(Detector):
    """Finds as many people in a frame as the frame's pixel value; records every model call."""

    def __init__(self, max_batch: int, gate: threading.Event | None = None) -> None:
        super().__init__(name="tagged", kind="person", max_batch=max_batch)
        self.calls: list[list[int]] = []
        self.gate = gate
        self.entered = threading.Event()

    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        tags = [int(f[0, 0, 0]) for f in frames]
        self.calls.append(tags)
        out = []
        for f, n in zip(frames, tags, strict=True):
            h, w = f.shape[:2]
            # n people standing in the bottom half (the queue zone), each a thin box
            xyxy = np.array([[i, h - 10, i + 1, h - 1] for i in range(n)], np.float32).reshape(-1, 4)
            out.append(Detections(xyxy, np.ones(n, np.float32), np.zeros(n, np.int32), (w, h)))
        return out


def engine_config(tmp_path: Path, max_batch: int, cameras: int = CAMERAS, **site: Any) -> AppConfig:
    """One site open all day; camera i sees i people in its queue zone q<i> (with CountingDetector)."""
    zones = [{"id": "q", "kind": "queue", "polygon": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}]
    return AppConfig.model_validate({
        "service": {"state_dir": str(tmp_path / "state")},
        "detector": {"max_batch": max_batch},
        "sites": [{"id": "s", "name": "S", "timezone": "Asia/Ho_Chi_Minh", "hours": {"mon-sun": ["00:00-23:59"]},
                   "cameras": [{"id": f"cam{i}", "url": "x.mp4", "type": "file", "sample_every": "2s",
                                "zones": [{**zones[0], "id": f"q{i}"}]} for i in range(1, cameras + 1)],
                   **site}],
    })


def make_engine(tmp_path: Path, detector: Detector, cameras: int = CAMERAS) -> Engine:
    cfg = engine_config(tmp_path, detector.max_batch, cameras)
    return Engine(LoadedConfig(cfg, None), {"person": detector}, Metrics(), source_factory=TaggedSource)


def counts(engine: Engine) -> dict[str, Any]:
    return {cid: rt.last.counts if rt.last else None for cid, rt in engine.states.cameras.items()}


def test_frames_due_at_one_tick_go_through_the_model_as_one_batch(tmp_path: Path) -> None:
    det = CountingDetector(max_batch=8)
    engine = make_engine(tmp_path, det)
    for cid in engine.states.cameras:
        assert engine.sampler.sample(cid)
    batch = engine.sampler.queue.take(engine.worker.max_batch, timeout=0)
    engine.worker.process([q.item for q in batch])
    assert det.calls == [[1, 2, 3, 4, 5, 6]]  # one call, cameras in queue order
    # each camera got its own frame's result, not a neighbour's
    assert counts(engine) == {f"cam{i}": {f"q{i}": i} for i in range(1, CAMERAS + 1)}


def test_a_batch_larger_than_max_batch_is_split_and_results_stay_matched(tmp_path: Path) -> None:
    det = CountingDetector(max_batch=4)
    engine = make_engine(tmp_path, det)
    for cid in reversed(list(engine.states.cameras)):
        engine.sampler.sample(cid)
    items = [q.item for q in engine.sampler.queue.take(100, timeout=0)]
    engine.worker.process(items)
    assert det.calls == [[6, 5, 4, 3], [2, 1]]
    assert counts(engine) == {f"cam{i}": {f"q{i}": i} for i in range(1, CAMERAS + 1)}


def test_worker_batches_across_cameras_while_the_model_is_busy(tmp_path: Path) -> None:
    gate = threading.Event()
    det = CountingDetector(max_batch=8, gate=gate)
    engine = make_engine(tmp_path, det)
    engine.worker.start()  # the inference worker alone; no scheduler: samples are queued by hand
    try:
        engine.sampler.sample("cam1")
        assert det.entered.wait(5)  # the worker took cam1 and is inside the model
        for cid in ("cam2", "cam3", "cam4", "cam5", "cam6"):
            engine.sampler.sample(cid)
        gate.set()
        deadline = time.monotonic() + 10
        while sum(len(c) for c in det.calls) < CAMERAS and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        engine.worker.stop(5)
    assert det.calls == [[1], [2, 3, 4, 5, 6]]


def test_overload_drops_the_oldest_sample_of_a_camera_and_counts_it(tmp_path: Path) -> None:
    det = CountingDetector(max_batch=8)
    engine = make_engine(tmp_path, det, cameras=2)
    for _ in range(3):  # the worker is not running: cam1's samples pile up
        engine.sampler.sample("cam1")
    engine.sampler.sample("cam2")
    items = [q.item for q in engine.sampler.queue.take(10, timeout=0)]
    assert [(rt.camera.id, f.seq) for rt, f in items] == [("cam1", 3), ("cam2", 1)]  # only the newest of cam1
    text = generate_latest(engine.metrics.registry).decode()
    assert metric_value(text, "onestop_samples_dropped_total", site="s", camera="cam1") == 2
    assert metric_value(text, "onestop_samples_dropped_total", site="s", camera="cam2") in (None, 0)


@pytest.mark.parametrize("max_items", [1, 3, 4])
def test_take_serves_every_camera_equally_under_load(max_items: int) -> None:
    q: SampleQueue[int] = SampleQueue(per_camera=4)
    served: dict[str, int] = {f"c{i}": 0 for i in range(7)}
    for _ in range(20):
        for cam in served:  # every camera has more waiting than a batch can take
            q.put(cam, 0)
        for entry in q.take(max_items, timeout=0):
            served[entry.camera] += 1
    assert max(served.values()) - min(served.values()) <= 1, served


def test_order_within_a_camera_is_kept_across_batches() -> None:
    q: SampleQueue[int] = SampleQueue(per_camera=5)
    for i in range(5):
        q.put("a", i)
        q.put("b", 10 + i)
    got: list[tuple[str, int]] = []
    while len(q):
        got += [(e.camera, e.item) for e in q.take(3, timeout=0)]
    assert [v for c, v in got if c == "a"] == [0, 1, 2, 3, 4]
    assert [v for c, v in got if c == "b"] == [10, 11, 12, 13, 14]
