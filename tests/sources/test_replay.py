"""iter_video: sampling a file by video time for the replay command."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from monitor.sources import SourceError, iter_video
from tests.support.paths import ONE_BY_ONE, SHARED_DATA


def test_every_second_of_the_shared_video() -> None:
    t0 = time.perf_counter()
    samples = list(iter_video(ONE_BY_ONE, 1.0))
    elapsed = time.perf_counter() - t0
    times = [t for t, _ in samples]
    # 1394 frames at 10 fps = 139.4 s: a sample at 0, 1, ..., 139.
    assert len(samples) == 140
    assert times == pytest.approx([float(i) for i in range(140)], abs=1e-6)
    for _, image in samples[:3]:
        assert image.shape == (432, 768, 3) and image.dtype == np.uint8
    assert not np.array_equal(samples[0][1], samples[70][1])  # people move: frames really differ
    print(f"\niter_video every 1 s over 139.4 s: {elapsed:.2f} s ({139.4 / elapsed:.0f}x real time)")


@pytest.mark.parametrize(("every", "expected"), [
    (30.0, [0.0, 30.0, 60.0, 90.0, 120.0]),
    (0.25, None),  # finer than the 0.1 s frames allow exactly: the first frame at or after each multiple
    (200.0, [0.0]),
])
def test_sampling_times(every: float, expected: list[float] | None) -> None:
    times = [t for t, _ in iter_video(ONE_BY_ONE, every)]
    if expected is not None:
        assert times == pytest.approx(expected)
        return
    assert len(times) == 558  # ceil(139.4 / 0.25) multiples: 0, 0.25, ..., 139.25
    want = [round(np.ceil(k * every * 10 - 1e-6) / 10, 1) for k in range(558)]
    assert times == pytest.approx(want, abs=1e-6)


def test_mpeg4_avi_from_another_camera() -> None:
    clip = SHARED_DATA / "wisenet_corridor" / "wisenet_clip3.avi"
    times = [t for t, img in iter_video(clip, 10.0) if img.shape == (480, 640, 3)]
    assert times == pytest.approx([0.0, 10.0, 20.0, 30.0])


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        next(iter_video(ONE_BY_ONE, 0))
    with pytest.raises(SourceError) as info:
        next(iter_video(tmp_path / "missing.mp4", 1.0))
    assert info.value.reason == "not_found"
