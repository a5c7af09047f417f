"""The view check of a camera over successive samples: reference on disk, moved, back, re-armed by new zones."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from monitor.config import CameraConfig
from monitor.view.check import ViewMonitor
from monitor.view.reference import KEEP_PER_CAMERA, VIEW_DIR, Reference, ReferenceStore, reference_key
from tests.support.paths import ONE_BY_ONE
from tests.view.frames import boxes, read_frames, warp, warp_matrix

SIZE = (768, 432)
ZONES = [{"id": "front", "kind": "queue", "polygon": [[0.35, 0.55], [0.85, 0.55], [0.85, 1], [0.35, 1]]}]


def camera(cid: str = "hall-1", zones: list[dict] | None = None, **view: object) -> CameraConfig:
    return CameraConfig.model_validate({"id": cid, "url": "rtsp://cam/1", "zones": zones or ZONES,
                                        "view_check": view})


@pytest.fixture(scope="module")
def frames() -> dict[float, np.ndarray]:
    return read_frames(ONE_BY_ONE, [5.0, 60.0, 100.0, 125.0])


@pytest.fixture
def shifted(frames: dict[float, np.ndarray]) -> np.ndarray:
    return warp(frames[100.0], warp_matrix(SIZE, dx=0.06))  # ratio 0.052


def test_first_sample_is_the_reference_then_moves_are_seen(tmp_path: Path, frames: dict[float, np.ndarray],
                                                           shifted: np.ndarray) -> None:
    views, cam = ViewMonitor(tmp_path), camera()
    first = views.observe(cam, frames[5.0], 1000.0, [])
    assert first is not None and first.moved is False and first.shift_ratio == 0.0
    assert first.reference_at == 1000.0 and first.threshold == 0.03
    assert (tmp_path / VIEW_DIR / f"hall-1.{reference_key(cam)}.npz").is_file()

    still = views.observe(cam, frames[60.0], 1001.0, [boxes(SIZE, (300, 0, 450, 400))])
    assert still is not None and still.moved is False and still.shift_ratio is not None and still.shift_ratio < 0.005
    moved = views.observe(cam, shifted, 1002.0, [])
    assert moved is not None and moved.moved is True
    assert moved.shift_ratio == pytest.approx(0.052, abs=0.004) and moved.checked_at == 1002.0
    assert views.reading("hall-1") == moved
    back = views.observe(cam, frames[125.0], 1003.0, [])
    assert back is not None and back.moved is False and back.reference_at == 1000.0


def test_restart_finds_the_reference_and_sees_a_move_made_meanwhile(tmp_path: Path, frames: dict[float, np.ndarray],
                                                                    shifted: np.ndarray) -> None:
    ViewMonitor(tmp_path).observe(camera(), frames[5.0], 1000.0, [])
    after = ViewMonitor(tmp_path)  # a new process
    reading = after.observe(camera(), shifted, 2000.0, [])
    assert reading is not None and reading.moved is True and reading.reference_at == 1000.0


def test_saving_other_zones_takes_a_new_reference(tmp_path: Path, frames: dict[float, np.ndarray],
                                                  shifted: np.ndarray) -> None:
    views = ViewMonitor(tmp_path)
    views.observe(camera(), frames[5.0], 1000.0, [])
    assert views.observe(camera(), shifted, 1001.0, []).moved is True  # type: ignore[union-attr]
    redrawn = camera(zones=[{**ZONES[0], "polygon": [[0.4, 0.55], [0.9, 0.55], [0.9, 1], [0.4, 1]]}])
    rearmed = views.observe(redrawn, shifted, 1002.0, [])
    assert rearmed is not None and rearmed.moved is False and rearmed.reference_at == 1002.0
    assert views.observe(redrawn, warp(frames[60.0], warp_matrix(SIZE, dx=0.06)), 1003.0, []).moved is False  # type: ignore[union-attr]
    # Going back to the first zones finds the view they were drawn on.
    assert views.observe(camera(), shifted, 1004.0, []).moved is True  # type: ignore[union-attr]


def test_a_new_reference_tag_rearms_without_new_zones(tmp_path: Path, frames: dict[float, np.ndarray],
                                                      shifted: np.ndarray) -> None:
    views = ViewMonitor(tmp_path)
    views.observe(camera(), frames[5.0], 1000.0, [])
    tagged = views.observe(camera(reference_tag="2026-12-03"), shifted, 1001.0, [])
    assert tagged is not None and tagged.moved is False and tagged.reference_at == 1001.0


def test_threshold_change_keeps_the_reference(tmp_path: Path, frames: dict[float, np.ndarray],
                                              shifted: np.ndarray) -> None:
    views = ViewMonitor(tmp_path)
    views.observe(camera(), frames[5.0], 1000.0, [])
    assert views.observe(camera(), shifted, 1001.0, []).moved is True  # type: ignore[union-attr]
    looser = views.observe(camera(threshold=0.1), shifted, 1002.0, [])
    assert looser is not None and looser.moved is False and looser.threshold == 0.1 and looser.reference_at == 1000.0


def test_every_nth_sample_is_compared(tmp_path: Path, frames: dict[float, np.ndarray], shifted: np.ndarray) -> None:
    views, cam = ViewMonitor(tmp_path), camera(every=3)
    checked = [views.observe(cam, f, float(t), []).checked_at  # type: ignore[union-attr]
               for t, f in enumerate([frames[5.0], shifted, shifted, shifted, shifted])]
    assert checked == [0.0, 0.0, 0.0, 3.0, 3.0]


def test_dark_start_waits_for_a_usable_reference(tmp_path: Path, frames: dict[float, np.ndarray],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    views, cam = ViewMonitor(tmp_path), camera()
    dark = np.zeros_like(frames[5.0])
    reading = views.observe(cam, dark, 1000.0, [])
    assert reading is not None and reading.moved is None and reading.reference_at is None
    assert not (tmp_path / VIEW_DIR).exists()
    with caplog.at_level(logging.INFO, logger="monitor.view.check"):
        reading = views.observe(cam, frames[5.0], 1001.0, [])
    assert reading is not None and reading.moved is False and reading.reference_at == 1001.0
    assert "camera view reference taken" in caplog.text
    # Once there is a reference, darkness is a lost view: zones unknown rather than counted from nothing.
    assert views.observe(cam, dark, 1002.0, []).moved is True  # type: ignore[union-attr]
    assert views.observe(cam, dark, 1002.0, []).shift_ratio == 1.0  # type: ignore[union-attr]


def test_crowd_hiding_the_view_keeps_the_last_answer(tmp_path: Path, frames: dict[float, np.ndarray],
                                                     shifted: np.ndarray) -> None:
    views, cam = ViewMonitor(tmp_path), camera()
    views.observe(cam, frames[5.0], 1000.0, [])
    crowd = boxes(SIZE, (0, 0, 620, 432))
    for image, before in ((frames[60.0], False), (shifted, True)):
        views.observe(cam, image, 1001.0, [])
        hidden = views.observe(cam, np.zeros_like(image), 1002.0, [crowd])
        assert hidden is not None and hidden.moved is before and hidden.checked_at == 1002.0


def test_disabled_check_reads_nothing(tmp_path: Path, frames: dict[float, np.ndarray]) -> None:
    views = ViewMonitor(tmp_path)
    views.observe(camera(), frames[5.0], 1000.0, [])
    assert views.observe(camera(enabled=False), frames[5.0], 1001.0, []) is None
    assert views.reading("hall-1") is None


def test_retain_forgets_removed_cameras(tmp_path: Path, frames: dict[float, np.ndarray]) -> None:
    views = ViewMonitor(tmp_path)
    for cid in ("a", "b"):
        views.observe(camera(cid), frames[5.0], 1000.0, [])
    views.retain(["b"])
    assert views.reading("a") is None and views.reading("b") is not None


def test_store_round_trip_pruning_and_bad_files(tmp_path: Path, frames: dict[float, np.ndarray],
                                                caplog: pytest.LogCaptureFixture) -> None:
    from monitor.view.estimate import ViewEstimator

    store = ReferenceStore(tmp_path / VIEW_DIR)
    ref = Reference(ViewEstimator().features(frames[5.0]), 1234.5)
    path = store.save("cam.1", "k0", ref)
    loaded = store.load("cam.1", "k0")
    assert loaded is not None and loaded.taken_at == 1234.5 and loaded.features.size == ref.features.size
    assert np.array_equal(loaded.features.points, ref.features.points)
    assert np.array_equal(loaded.features.descriptors, ref.features.descriptors)
    assert store.load("cam.1", "other") is None
    # Only the newest few references of a camera are kept; camera 'cam' is another camera than 'cam.1'.
    store.save("cam", "k0", ref)
    for i in range(1, KEEP_PER_CAMERA + 2):
        store.save("cam.1", f"k{i}", ref)
    left = sorted(p.name for p in (tmp_path / VIEW_DIR).glob("*.npz"))
    assert len([n for n in left if n.startswith("cam.1.")]) == KEEP_PER_CAMERA and "cam.k0.npz" in left
    assert not path.exists()
    # A damaged file is reported and replaced by a new reference, not a crash.
    store.path("cam", "k0").write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING):
        assert store.load("cam", "k0") is None
    assert "unreadable" in caplog.text


def test_reference_key_follows_zones_and_tag_only() -> None:
    base = reference_key(camera())
    assert reference_key(camera(threshold=0.2, every=5)) == base
    assert reference_key(CameraConfig.model_validate({"id": "hall-1", "url": "rtsp://other", "zones": ZONES,
                                                      "sample_every": "5s"})) == base
    assert reference_key(camera(reference_tag="x")) != base
    assert reference_key(camera(zones=[{**ZONES[0], "id": "other"}])) != base
