"""Detector base: batching in max_batch chunks, order, timing callback, class filtering, backend registry."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.config import DetectorConfig
from monitor.detect.base import BACKENDS, Detector, backend_class
from monitor.detect.build import model_for
from monitor.detect.detections import Detections


class StampDetector(Detector):
    """Fake model: a frame of pixel value i gives i boxes, with class ids 0, 1, 0, 1, ..."""

    def __init__(self, max_batch: int, classes: tuple[int, ...] | None = (0,), kind: str = "person",
                 wrong_count: bool = False) -> None:
        super().__init__(name="stamp", kind=kind, max_batch=max_batch, classes=classes)
        self.calls: list[int] = []
        self.wrong_count = wrong_count

    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        self.calls.append(len(frames))
        out = []
        for f in frames:
            n = int(f[0, 0, 0])
            xyxy = np.tile(np.array([[0, 0, 1, 1]], np.float32), (n, 1)) + float(n)
            out.append(Detections(xyxy, np.full(n, 0.5, np.float32), (np.arange(n) % 2).astype(np.int32),
                                  (f.shape[1], f.shape[0]), "person"))
        return out[:-1] if self.wrong_count else out


def frames(values: list[int]) -> list[np.ndarray]:
    return [np.full((4 + v, 6, 3), v, np.uint8) for v in values]


@pytest.mark.parametrize("n,max_batch,calls", [(7, 3, [3, 3, 1]), (3, 8, [3]), (1, 1, [1]), (0, 4, []),
                                               (8, 4, [4, 4])])
def test_frames_go_to_the_model_in_chunks_of_max_batch(n: int, max_batch: int, calls: list[int]) -> None:
    det = StampDetector(max_batch, classes=None)
    out = det.predict(frames(list(range(n))))
    assert det.calls == calls
    assert [len(d) for d in out] == list(range(n))  # one result per frame, input order kept
    assert [d.frame_size for d in out] == [(6, 4 + v) for v in range(n)]


def test_on_batch_reports_name_seconds_and_frames() -> None:
    seen: list[tuple[str, float, int]] = []
    det = StampDetector(2)
    det.on_batch = lambda name, s, n: seen.append((name, s, n))
    assert det.last_batch_seconds is None
    det.predict(frames([1, 2, 3]))
    assert [(name, n) for name, _, n in seen] == [("stamp", 2), ("stamp", 1)]
    assert all(isinstance(s, float) and s >= 0 for _, s, _ in seen)
    assert det.last_batch_seconds == seen[-1][1] and det.last_batch_size == 1 and det.batches == 2


@pytest.mark.parametrize("classes,expected", [((0,), [0, 1, 1, 2, 2]), ((1,), [0, 0, 1, 1, 2]),
                                              (None, [0, 1, 2, 3, 4]), ((0, 1), [0, 1, 2, 3, 4])])
def test_base_keeps_only_configured_classes(classes: tuple[int, ...] | None, expected: list[int]) -> None:
    out = StampDetector(8, classes=classes).predict(frames([0, 1, 2, 3, 4]))
    assert [len(d) for d in out] == expected
    for d in out:
        if classes is not None:
            assert set(d.class_id.tolist()) <= set(classes)


def test_result_carries_the_detector_kind() -> None:
    out = StampDetector(8, classes=None, kind="head").predict(frames([2]))
    assert out[0].kind == "head" and len(out[0]) == 1  # two identical head boxes are one head (dedupe_heads)
    out = StampDetector(8, classes=None, kind="person").predict(frames([2]))
    assert out[0].kind == "person" and len(out[0]) == 2  # persons are never merged here


def test_backend_returning_wrong_number_of_results_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="returned 1 results for 2 frames"):
        StampDetector(8, wrong_count=True).predict(frames([1, 2]))


@pytest.mark.parametrize("kwargs,match", [({"kind": "car"}, "kind must be one of"),
                                          ({"max_batch": 0}, "max_batch must be >= 1")])
def test_bad_identity_is_rejected(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"max_batch": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        StampDetector(**args)  # type: ignore[arg-type]


def test_registry_resolves_ultralytics_lazily_and_rejects_unknown() -> None:
    assert set(BACKENDS) == {"ultralytics", "openvino", "onnxruntime", "torch", "triton"}
    cls = backend_class("ultralytics")
    assert isinstance(cls, type) and issubclass(cls, Detector) and cls.__name__ == "UltralyticsDetector"
    known = "onnxruntime, openvino, torch, triton, ultralytics"
    with pytest.raises(ValueError, match=f"unknown detector backend 'tflite'; known: {known}"):
        backend_class("tflite")
    with pytest.raises(TypeError):
        BACKENDS["x"] = "y"  # type: ignore[index]


def test_head_kind_needs_a_head_model() -> None:
    cfg = DetectorConfig.model_validate({"head_model": None})
    assert model_for(cfg, "person") == "yolo11n-pose.pt"
    assert model_for(DetectorConfig.model_validate({}), "head") == "yolo11n-head.pt"  # the bundled default
    with pytest.raises(ValueError, match="detector.head_model is not set"):
        model_for(cfg, "head")
    assert model_for(DetectorConfig.model_validate({"head_model": "h.pt"}), "head") == "h.pt"
    with pytest.raises(ValueError, match="unknown detector kind"):
        model_for(cfg, "car")


@pytest.mark.parametrize("model,kind,task,name", [
    ("http://triton:8000/yolo11n-pose", "person", "pose", "yolo11n-pose"),
    ("grpc://user:secret@10.0.0.5:8001/people/", "person", "detect", "people"),
    ("http://triton:8000/heads-pose", "head", "detect", "heads-pose"),
    ("yolo11n-pose.pt", "person", "pose", "yolo11n-pose.pt"),
])
def test_task_and_label_of_a_model(model: str, kind: str, task: str, name: str) -> None:
    from monitor.detect.models import resolve_model
    from monitor.detect.ultralytics_backend import _model_name, _task_for

    resolved = resolve_model(model)
    assert _task_for(resolved, kind) == task
    assert _model_name(resolved) == name  # the metric label never carries a URL's credentials
