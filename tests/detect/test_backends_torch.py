"""The torch backend (GPU-side letterbox, normalisation, NMS), run on CPU tensors against Ultralytics' predict."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from monitor.config import DetectorConfig
from monitor.detect.base import Detector
from tests.detect.test_backends_exported import bus_path
from tests.support.paths import CLASSROOM

pytestmark = pytest.mark.slow

IMAGES = sorted((CLASSROOM / "images").glob("*.jpg"))[::8]


@pytest.fixture(scope="module")
def torch_detector(detect_state_dir: Path) -> Detector:
    from monitor.detect import build_detectors

    cfg = DetectorConfig.model_validate({"backend": "torch", "device": "cpu", "max_batch": 4})
    return build_detectors(cfg, {"person"}, detect_state_dir)["person"]


def matched_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Return the smallest IoU between each box of a and its best match in b."""
    worst = 1.0
    for box in a:
        x0, y0 = np.maximum(box[:2], b[:, :2]).T
        x1, y1 = np.minimum(box[2:], b[:, 2:]).T
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        union = (box[2] - box[0]) * (box[3] - box[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
        worst = min(worst, float((inter / union).max()))
    return worst


def test_same_people_as_ultralytics_predict(torch_detector: Detector, pose_detector: Detector) -> None:
    assert type(torch_detector).__name__ == "TorchDetector" and torch_detector.name == "yolo11n-pose.pt"
    total = 0
    for path in [*IMAGES, bus_path()]:
        img = cv2.imread(str(path))
        ours, theirs = torch_detector.predict([img])[0], pose_detector.predict([img])[0]
        assert len(ours) == len(theirs), path.name
        total += len(ours)
        if len(ours):
            # the resize runs in torch (bilinear, rounded) instead of OpenCV: sub-pixel differences only
            assert matched_iou(ours.xyxy, theirs.xyxy) > 0.95, path.name
            assert ours.keypoints is not None and ours.keypoints.shape == (len(ours), 17, 3)
            assert np.abs(np.sort(ours.confidence) - np.sort(theirs.confidence)).max() < 0.03
    assert total >= 20


def test_batches_of_camera_frames_letterbox_to_one_rectangle(torch_detector: Detector) -> None:
    img = cv2.resize(cv2.imread(str(IMAGES[6])), (1280, 720))
    frames = [img, np.ascontiguousarray(img[:, ::-1]), img, img, img]
    batch, geometry = torch_detector.preprocess(frames)  # type: ignore[attr-defined]
    assert tuple(batch.shape) == (5, 3, 384, 640)  # same-size frames: Ultralytics' minimum rectangle
    assert geometry[0] == (0.5, 0.5, 0, 12, 1280, 720)
    assert float(batch[0, 0, 0, 0]) == pytest.approx(114 / 255)  # grey padding above the picture
    # RGB order: channel 0 of the tensor is the frame's red (BGR index 2)
    assert float(batch[0, 0, 200, 320]) * 255 == pytest.approx(float(cv2.resize(img, (640, 360))[188, 320, 2]),
                                                               abs=2)
    results = torch_detector.predict(frames)  # max_batch 4: two model calls
    single = torch_detector.predict([img])[0]
    assert [len(r) for r in results] == [len(single), len(results[1]), len(single), len(single), len(single)]
    assert np.allclose(results[3].xyxy, single.xyxy, atol=0.05)


def test_mixed_sizes_and_empty_frames(torch_detector: Detector) -> None:
    frames = [np.zeros((240, 320, 3), np.uint8), cv2.imread(str(bus_path()))]
    res = torch_detector.predict(frames)
    assert len(res[0]) == 0 and res[0].frame_size == (320, 240)
    assert len(res[1]) >= 3 and res[1].frame_size == (810, 1080)
    assert (res[1].xyxy[:, 2] <= 810).all() and (res[1].xyxy[:, 3] <= 1080).all()


def test_torch_backend_refuses_exports(detect_state_dir: Path, tmp_path: Path) -> None:
    from monitor.detect.torch_gpu import TorchDetector

    fake = tmp_path / "m.onnx"
    fake.write_bytes(b"x")
    with pytest.raises(ValueError, match="runs .pt models"):
        TorchDetector(DetectorConfig.model_validate({}), "person", str(fake))
