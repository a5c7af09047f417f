"""OpenVINO and ONNX Runtime backends: no torch, and the same people as Ultralytics running the same export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from monitor.config import DetectorConfig
from monitor.detect.base import Detector
from monitor.detect.models import resolve_model
from tests.support.paths import CLASSROOM, REPO

pytestmark = pytest.mark.slow

IMAGES = sorted((CLASSROOM / "images").glob("*.jpg"))[::8]  # 16 classroom pictures, 0-10 people each


def bus_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("ultralytics")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "assets" / "bus.jpg"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory, detect_state_dir: Path) -> dict[str, Path]:
    """Export the bundled pose model: OpenVINO with dynamic input (as `bench` and `auto` use it), ONNX static."""
    from monitor.commands.export import export_model

    state = tmp_path_factory.mktemp("exported-state")
    out = state / "exports"  # where backend 'auto' looks
    pt = Path(resolve_model("yolo11n-pose.pt").path)
    return {"state": state,
            "openvino": export_model(pt, "openvino", out, imgsz=640, dynamic=True),
            "onnxruntime": export_model(pt, "onnx", out, imgsz=640, dynamic=False)}


def our_detector(backend: str, path: Path) -> Detector:
    from monitor.detect.base import backend_class

    cfg = DetectorConfig.model_validate({"backend": backend, "max_batch": 4})
    return backend_class(backend)(cfg, "person", resolve_model(path))


def images() -> list[tuple[str, np.ndarray]]:
    out = [(p.name, cv2.imread(str(p))) for p in [*IMAGES, bus_path()]]
    assert all(img is not None for _, img in out)
    return out


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_same_people_boxes_and_keypoints_as_ultralytics(exports: dict[str, Path], backend: str) -> None:
    from ultralytics import YOLO

    path = exports[backend]
    ours = our_detector(backend, path)
    theirs = YOLO(str(path), task="pose")
    total = 0
    for name, img in images():
        a = ours.predict([img])[0]
        r = theirs.predict(img, conf=0.25, iou=0.6, classes=[0], verbose=False)[0]
        b_xyxy = r.boxes.xyxy.cpu().numpy()
        assert len(a) == len(b_xyxy), name
        total += len(a)
        if len(a):
            order_a, order_b = np.argsort(-a.confidence), np.argsort(-r.boxes.conf.cpu().numpy())
            assert np.abs(a.xyxy[order_a] - b_xyxy[order_b]).max() < 1.0, name
            assert a.keypoints is not None
            kb = r.keypoints.data.cpu().numpy()[order_b]
            assert np.abs(a.keypoints[order_a] - kb).max() < 1.0, name
    assert total >= 20  # the pictures do hold people (27 with this model)
    ours.close()
    with pytest.raises(RuntimeError, match="was closed"):
        ours.predict([images()[0][1]])


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_a_batch_gives_the_same_results_as_frame_by_frame(exports: dict[str, Path], backend: str) -> None:
    det = our_detector(backend, exports[backend])
    frames = [img for _, img in images()[:6]]
    frames += [frames[0], frames[0]]  # two frames of one size
    one_by_one = [det.predict([f])[0] for f in frames]
    batched = det.predict(frames)  # max_batch 4: two model calls
    # Dynamic export (openvino here): each size keeps its own input rectangle whatever else is in the batch;
    # static export (onnx here): one square input for everything, batch or not. Either way: same results.
    for a, b in zip(one_by_one, batched, strict=True):
        assert len(a) == len(b) and np.allclose(a.xyxy, b.xyxy, atol=0.01)
    assert det.batches >= 2 + len(frames)


def _probe(state: Path, backend: str) -> dict[str, Any]:
    """Build the detector as the service does, in a fresh process; report backend, torch, people, RSS."""
    code = f"""
import json, sys, cv2
from pathlib import Path
from monitor.config import DetectorConfig
from monitor.detect import build_detectors
det = build_detectors(DetectorConfig.model_validate({{"backend": "{backend}"}}), {{"person"}}, Path({str(state)!r}))
people = len(det["person"].predict([cv2.imread({str(bus_path())!r})])[0])
rss = next(int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmRSS"))
print(json.dumps({{"backend": type(det["person"]).__name__, "torch": "torch" in sys.modules, "people": people,
                  "rss_mb": rss}}))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO,
                       env={**os.environ, "YOLO_OFFLINE": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    return dict(json.loads(r.stdout.strip().splitlines()[-1]))


def test_auto_runs_the_openvino_export_without_torch(exports: dict[str, Path]) -> None:
    auto = _probe(exports["state"], "auto")
    pt = _probe(exports["state"], "ultralytics")
    print(f"RSS after one picture: auto/OpenVINO {auto['rss_mb']} MB, Ultralytics .pt {pt['rss_mb']} MB")
    assert auto["backend"] == "OpenVINODetector" and auto["torch"] is False
    assert pt["backend"] == "UltralyticsDetector" and pt["torch"] is True
    assert auto["people"] == pt["people"] == 4  # bus.jpg
    assert auto["rss_mb"] + 100 < pt["rss_mb"]  # torch alone costs more than that
