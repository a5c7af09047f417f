"""The bundled pose model on real images: Ultralytics results become Detections with plausible counts."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from monitor.config import DetectorConfig
from monitor.detect import build_detectors
from monitor.detect.base import Detector
from monitor.detect.detections import Detections
from monitor.detect.ultralytics_backend import UltralyticsDetector
from tests.support.paths import CLASSROOM

pytestmark = pytest.mark.slow


def read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def asset(name: str) -> np.ndarray:
    from ultralytics.utils import ASSETS

    return read(ASSETS / name)


def centre_hit(dets: Detections, x: float, y: float) -> bool:
    """Whether some box contains the point (x, y)."""
    b = dets.xyxy
    return bool(np.any((b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3])))


def test_bus_people_from_a_real_prediction(pose_detector: Detector) -> None:
    # bus.jpg (810x1080): two men in front of the bus, a person cut by the right edge, one cut by the left
    # edge, maybe the driver behind the windscreen. Checked by eye: 3 to 5 persons are right answers.
    dets = pose_detector.predict([asset("bus.jpg")])[0]
    assert isinstance(dets, Detections) and dets.kind == "person" and dets.frame_size == (810, 1080)
    assert 3 <= len(dets) <= 5
    assert centre_hit(dets, 150, 650)  # the man in the cream coat
    assert centre_hit(dets, 285, 620)  # the man in black
    assert centre_hit(dets, 760, 650)  # the person cut by the right edge
    assert dets.xyxy.dtype == np.float32 and dets.xyxy.shape == (len(dets), 4)
    assert np.all(dets.xyxy[:, :2] >= -1)
    assert np.all(dets.xyxy[:, 2] <= 811) and np.all(dets.xyxy[:, 3] <= 1081)
    assert np.all(dets.confidence >= 0.25) and np.all(dets.class_id == 0)
    assert dets.keypoints is not None and dets.keypoints.shape == (len(dets), 17, 3)
    best = int(np.argmax(dets.confidence))
    nose_x, nose_y, _ = dets.keypoints[best, 0]
    x1, y1, x2, y2 = dets.xyxy[best]
    assert x1 <= nose_x <= x2 and y1 <= nose_y <= (y1 + y2) / 2  # the nose is in the upper half of its box


def test_batch_of_mixed_sizes_keeps_order(pose_detector: Detector) -> None:
    bus, zidane = asset("bus.jpg"), asset("zidane.jpg")
    black = np.zeros((480, 640, 3), np.uint8)
    out = pose_detector.predict([bus, zidane, black, bus])
    assert [d.frame_size for d in out] == [(810, 1080), (1280, 720), (640, 480), (810, 1080)]
    assert 2 <= len(out[1]) <= 3  # Zidane and Ancelotti (the crowd behind is a blur)
    assert len(out[2]) == 0 and out[2].keypoints is None
    assert len(out[0]) == len(out[3]) and np.allclose(out[0].xyxy, out[3].xyxy, atol=1.0)


# Checked by eye on the 640-px thumbnails: 00128 one cleaner by the window; 00224 three people at the front
# (the head labels miss the one in the dark doorway); 00048 a lecturer and 13 seated students mostly hidden by
# desks (14 heads); 00000 a full lecture room (81 heads) where a person model sees only the front rows.
CLASSROOM_RANGES = {"PartA_00128.jpg": (1, 1), "PartA_00224.jpg": (2, 3), "PartA_00048.jpg": (5, 14),
                    "PartA_00000.jpg": (1, 20)}


def test_classroom_person_counts_are_plausible(pose_detector: Detector) -> None:
    names = list(CLASSROOM_RANGES)
    images = [read(CLASSROOM / "images" / n) for n in names]
    counts = {n: len(d) for n, d in zip(names, pose_detector.predict(images), strict=True)}
    for name, (low, high) in CLASSROOM_RANGES.items():
        assert low <= counts[name] <= high, counts
    assert counts["PartA_00000.jpg"] < 81 // 3  # well below the head count: bodies hidden behind desks


def test_kind_must_match_the_registry(detect_state_dir: Path) -> None:
    with pytest.raises(ValueError, match="'yolo11n-pose.pt' is a person model, not a head model"):
        UltralyticsDetector(DetectorConfig.model_validate({}), "head", "yolo11n-pose.pt")


def test_head_zone_without_head_model_is_a_clear_error(detect_state_dir: Path) -> None:
    with pytest.raises(ValueError, match="detector.head_model is not set"):
        build_detectors(DetectorConfig.model_validate({"head_model": None}), {"person", "head"}, detect_state_dir)


def test_head_model_runs_with_its_own_size_and_confidence(detect_state_dir: Path) -> None:
    dets = build_detectors(DetectorConfig.model_validate({"backend": "ultralytics"}), {"person", "head"},
                           detect_state_dir)
    assert (dets["head"]._args["imgsz"], dets["head"]._args["conf"]) == (960, 0.3)
    assert (dets["person"]._args["imgsz"], dets["person"]._args["conf"]) == (640, 0.25)


def test_build_wires_the_batch_callback(detect_state_dir: Path) -> None:
    seen: list[tuple[str, int]] = []
    cfg = DetectorConfig.model_validate({"max_batch": 2, "imgsz": 320, "backend": "ultralytics"})
    det = build_detectors(cfg, {"person"}, detect_state_dir,
                          on_batch=lambda m, s, n: seen.append((m, n)))["person"]
    assert det.name == "yolo11n-pose.pt" and det.max_batch == 2 and det.kind == "person"
    det.predict([np.zeros((240, 320, 3), np.uint8)] * 3)
    assert seen == [("yolo11n-pose.pt", 2), ("yolo11n-pose.pt", 1)]


def test_half_precision_uses_the_current_argument(detect_state_dir: Path, pose_detector: Detector) -> None:
    # Ultralytics 8.4 replaced predict(half=True) by quantize=16; the old name logs a deprecation warning.
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("ultralytics")
    logger.addHandler(handler)
    try:
        cfg = DetectorConfig.model_validate({"half": True, "backend": "ultralytics"})
        det = build_detectors(cfg, {"person"}, detect_state_dir)["person"]
        bus = asset("bus.jpg")
        assert len(det.predict([bus])[0]) == len(pose_detector.predict([bus])[0])  # fp32 on CPU either way
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if "deprecated" in r], records
    det.close()
    with pytest.raises(RuntimeError, match="was closed"):
        det.predict([bus])
