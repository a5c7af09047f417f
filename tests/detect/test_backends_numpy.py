"""Torch-free YOLO pre/post-processing: the same letterbox, NMS and decoding as Ultralytics, in numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitor.detect.yolo_numpy import (
    ModelMeta,
    fit_shape,
    letterbox,
    make_blob,
    nms,
    select,
    select_end2end,
    to_detections,
)


@pytest.mark.parametrize(("h", "w", "shape"), [(720, 1280, (640, 640)), (720, 1280, (384, 640)),
                                                (1080, 810, (640, 640)), (481, 853, (640, 640)),
                                                (300, 200, (640, 640)), (1, 3000, (640, 640))])
def test_letterbox_is_pixel_identical_to_ultralytics(detect_state_dir: Path, h: int, w: int,
                                                     shape: tuple[int, int]) -> None:
    from ultralytics.data.augment import LetterBox

    rng = np.random.default_rng(h * w)
    frame = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    ours, box = letterbox(frame, shape)
    theirs = LetterBox(shape, auto=False, stride=32)(image=frame)
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)
    assert box.frame_size == (w, h)


@pytest.mark.parametrize(("h", "w", "rect", "expected"), [
    (720, 1280, True, (384, 640)),   # 16:9 camera: Ultralytics' minimum rectangle
    (720, 1280, False, (640, 640)),  # static export: the square it was made at
    (1080, 810, True, (640, 480)),
    (480, 640, True, (480, 640)),
])
def test_fit_shape_matches_ultralytics_rect(h: int, w: int, rect: bool, expected: tuple[int, int]) -> None:
    frames = [np.zeros((h, w, 3), np.uint8)] * 2
    assert fit_shape(frames, (640, 640), 32, rect) == expected
    mixed = frames + [np.zeros((100, 100, 3), np.uint8)]
    assert fit_shape(mixed, (640, 640), 32, rect) == (640, 640)  # different sizes share the square


def test_blob_is_rgb_chw_unit_scale() -> None:
    frame = np.zeros((64, 64, 3), np.uint8)
    frame[..., 0], frame[..., 1], frame[..., 2] = 10, 20, 30  # B, G, R
    blob, boxes = make_blob([frame, frame], (64, 64))
    assert blob.shape == (2, 3, 64, 64) and blob.dtype == np.float32
    assert blob[0, :, 5, 5] == pytest.approx([30 / 255, 20 / 255, 10 / 255])
    assert boxes[1].gain_x == 1.0 and boxes[1].pad_x == 0


def test_nms_matches_torchvision(detect_state_dir: Path) -> None:
    import torch
    import torchvision

    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(1, 300))
        xy = rng.uniform(0, 600, (n, 2)).astype(np.float32)
        wh = rng.uniform(5, 120, (n, 2)).astype(np.float32)
        boxes = np.concatenate([xy, xy + wh], axis=1)
        scores = rng.uniform(0, 1, n).astype(np.float32)
        for iou in (0.45, 0.6, 0.7):
            ours = nms(boxes, scores, iou)
            theirs = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), iou).numpy()
            assert ours.tolist() == theirs.tolist()


def raw_output(boxes_xywh: list[list[float]], scores: list[list[float]], extra: int = 0) -> np.ndarray:
    """Build one image's raw model output (4 + nc + extra, anchors) from per-anchor rows."""
    rows = [b + s + [float(i)] * extra for i, (b, s) in enumerate(zip(boxes_xywh, scores, strict=True))]
    return np.asarray(rows, np.float32).T


def test_select_keeps_confident_boxes_suppresses_overlaps_per_class() -> None:
    pred = raw_output(
        [[100, 100, 50, 100], [102, 101, 50, 100], [300, 300, 40, 40], [300, 300, 40, 40], [500, 50, 10, 10]],
        [[0.9, 0.0], [0.8, 0.0], [0.0, 0.7], [0.6, 0.0], [0.1, 0.2]])
    rows = select(pred, nc=2, conf=0.25, iou=0.6, classes=None)
    # box 1 overlaps box 0 (same class) and goes; boxes 2 and 3 overlap but differ in class and stay
    assert rows[:, 4].tolist() == pytest.approx([0.9, 0.7, 0.6])
    assert rows[:, 5].tolist() == [0, 1, 0]
    assert rows[0, :4].tolist() == pytest.approx([75, 50, 125, 150])
    only_person = select(pred, nc=2, conf=0.25, iou=0.6, classes=(0,))
    assert only_person[:, 5].tolist() == [0, 0]
    assert select(pred, nc=2, conf=0.95, iou=0.6, classes=None).shape == (0, 6)


def test_pose_rows_map_back_to_the_frame_with_keypoints() -> None:
    kpts = [[110.0, 60.0, 0.9] * 17]
    pred = np.asarray([[100, 112, 40, 80, 0.8, *kpts[0]]], np.float32).T  # one anchor, nc=1, 17x3 keypoints
    rows = select(pred, nc=1, conf=0.25, iou=0.6, classes=(0,))
    frame = np.zeros((720, 1280, 3), np.uint8)
    _, box = letterbox(frame, (384, 640))
    dets = to_detections(rows, box, "person", (17, 3))
    assert len(dets) == 1 and dets.frame_size == (1280, 720)
    # input 640x384 holds the frame at half scale, 12 px padding top: x*2, (y-12)*2
    assert dets.xyxy[0].tolist() == pytest.approx([160, 120, 240, 280])
    assert dets.keypoints is not None and dets.keypoints.shape == (1, 17, 3)
    assert dets.keypoints[0, 0].tolist() == pytest.approx([220, 96, 0.9])


def test_end2end_rows_are_filtered_not_suppressed() -> None:
    pred = np.asarray([[0, 0, 10, 10, 0.9, 0], [0, 0, 10, 10, 0.8, 0], [5, 5, 9, 9, 0.1, 0], [1, 1, 2, 2, 0.7, 3]],
                      np.float32)
    assert select_end2end(pred, conf=0.25, classes=(0,))[:, 4].tolist() == pytest.approx([0.9, 0.8])


def test_metadata_parses_onnx_strings_and_openvino_yaml_values() -> None:
    onnx_style = {"task": "pose", "stride": "32", "batch": "1", "imgsz": "[640, 640]", "names": "{0: 'person'}",
                  "kpt_shape": "[17, 3]", "args": "{'batch': 1, 'dynamic': True, 'nms': None}", "end2end": "False"}
    m = ModelMeta.parse(onnx_style)
    assert (m.task, m.imgsz, m.names, m.kpt_shape, m.dynamic, m.end2end) == (
        "pose", (640, 640), {0: "person"}, (17, 3), True, False)
    yaml_style = {"task": "detect", "stride": 32, "imgsz": [320, 480], "names": {0: "head"}, "args": {"nms": True}}
    m = ModelMeta.parse(yaml_style)
    assert (m.task, m.imgsz, m.kpt_shape, m.dynamic, m.end2end) == ("detect", (320, 480), None, False, True)
