"""Keyframes-only cameras are sampled just after their keyframes, so the lag stays far below one interval."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from monitor.config import CameraConfig
from monitor.pipeline.align import ALIGN_MARGIN_S, LATE_S, next_sample_at
from monitor.sources import Frame, SourceStatus
from tests.pipeline.test_batching import CountingDetector, TaggedSource, make_engine


@pytest.mark.parametrize(("now", "frame_ts", "new", "interval", "expected"), [
    (10.0, 9.9, True, 2.0, None),                       # fresh keyframe: keep the schedule
    (10.0, 10.0 - LATE_S, True, 2.0, None),             # exactly at the limit: keep
    (10.0, 8.9, True, 2.0, 8.9 + 2.0 + ALIGN_MARGIN_S),  # 1.1 s old: just after the next keyframe
    (10.0, 8.05, True, 2.0, 8.05 + 2.0 + ALIGN_MARGIN_S),
    (10.0, 7.5, True, 2.0, None),                       # next keyframe already overdue: nothing to aim at
    (10.0, 8.1, False, 2.0, 10.0 + ALIGN_MARGIN_S),     # nothing new, keyframe due: retry soon
    (10.0, 9.0, False, 2.0, None),                      # nothing new but none due yet (e.g. GOP < interval)
    (10.0, 2.0, False, 2.0, None),                      # stalled camera: keep the schedule, no busy retry
    (10.0, 9.0, True, 0.0, None),                       # nonsense interval
])
def test_next_sample_at(now: float, frame_ts: float, new: bool, interval: float, expected: float | None) -> None:
    got = next_sample_at(now, frame_ts, new, interval)
    assert got == (pytest.approx(expected) if expected is not None else None)


class KeyframeSource(TaggedSource):
    """A keyframes-only camera whose newest picture arrived ``age`` seconds ago."""

    age = 1.1
    mode = "keyframes"

    def latest(self) -> Frame:
        self.seq += 1
        return Frame(np.full((48, 64, 3), self.tag, np.uint8), time.time() - self.age, None, self.seq)

    def status(self) -> SourceStatus:
        return SourceStatus(True, time.time(), 0, {}, None, self.mode)


@pytest.mark.parametrize(("mode", "moved"), [("keyframes", True), ("all", False)])
def test_engine_moves_a_late_keyframes_camera_to_just_after_its_next_keyframe(tmp_path: Path, mode: str,
                                                                              moved: bool) -> None:
    engine = make_engine(tmp_path, CountingDetector(max_batch=8), cameras=1)
    rt = engine.states.cameras["cam1"]
    rt.source = KeyframeSource(CameraConfig(id="cam1", url="x.mp4", type="file"))
    rt.source.mode = mode  # type: ignore[attr-defined]
    engine.sampler.schedule(rt)
    before = engine.scheduler.get_job("sample:cam1").next_run_time
    t0 = time.time()
    assert engine.sampler.sample("cam1")
    after = engine.scheduler.get_job("sample:cam1").next_run_time
    if moved:
        # the frame is 1.1 s old: the next keyframe comes 0.9 s from now, the sample 0.2 s after it
        expected = t0 - KeyframeSource.age + 2.0 + ALIGN_MARGIN_S
        assert after.timestamp() == pytest.approx(expected, abs=0.15)
    else:
        assert after == before
