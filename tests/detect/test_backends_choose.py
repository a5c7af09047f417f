"""Backend choice: the configured backend, or with 'auto' the fastest one available for the model and device."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from monitor.config import DetectorConfig
from monitor.detect.base import BACKENDS, backend_class
from monitor.detect.choose import choose_backend, exports_dir, is_cuda, model_format
from monitor.detect.models import ResolvedModel, resolve_model

PT = resolve_model("yolo11n-pose.pt")


def cfg(**kw: object) -> DetectorConfig:
    return DetectorConfig.model_validate(kw)


def fake_openvino(folder: Path, *, task: str = "pose", imgsz: int = 640, dynamic: bool = True,
                  older: bool = False) -> Path:
    """Write an export folder as Ultralytics lays it out (the files' contents are never read here)."""
    path = folder / "yolo11n-pose_openvino_model"
    path.mkdir(parents=True)
    (path / "yolo11n-pose.xml").write_text("<net/>")
    (path / "yolo11n-pose.bin").write_bytes(b"")
    (path / "metadata.yaml").write_text(yaml.safe_dump({"task": task, "imgsz": [imgsz, imgsz], "stride": 32,
                                                        "names": {0: "person"}, "args": {"dynamic": dynamic}}))
    if older:
        os.utime(path, (1, 1))
    return path


def test_every_backend_is_registered_and_resolves() -> None:
    assert set(BACKENDS) == {"ultralytics", "openvino", "onnxruntime", "torch", "triton"}
    for name in BACKENDS:
        assert backend_class(name).__name__.endswith("Detector")


@pytest.mark.parametrize(("path", "fmt"), [("m.pt", "pt"), ("m.onnx", "onnx"), ("m.engine", "other"),
                                           ("m.torchscript", "other"), ("http://triton:8000/m", "url")])
def test_model_format(tmp_path: Path, path: str, fmt: str) -> None:
    target = path if path.startswith("http") else str(tmp_path / path)
    assert model_format(ResolvedModel(target, None, None)) == fmt


def test_openvino_folder_format(tmp_path: Path) -> None:
    assert model_format(ResolvedModel(str(fake_openvino(tmp_path)), None, None)) == "openvino"


@pytest.mark.parametrize(("device", "cuda"), [("cpu", False), ("cuda", True), ("cuda:1", True), ("0", True),
                                              ("0,1", True), ("mps", False), ("intel:gpu", False)])
def test_is_cuda(device: str, cuda: bool) -> None:
    assert is_cuda(device) is cuda


def test_auto_on_cpu_uses_the_pt_until_an_openvino_export_is_there(tmp_path: Path) -> None:
    c = choose_backend(cfg(), PT, tmp_path)
    assert (c.backend, c.model) == ("ultralytics", PT)
    assert "onestop-monitor export --format openvino --dynamic --out" in c.reason  # tells how to speed up
    export = fake_openvino(exports_dir(tmp_path))
    c = choose_backend(cfg(), PT, tmp_path)
    assert c.backend == "openvino" and Path(c.model.path) == export.resolve()


@pytest.mark.parametrize(("kw", "why"), [({"task": "detect"}, "is a detect model"),
                                         ({"dynamic": False, "imgsz": 320}, "exported at (320, 320)"),
                                         ({"older": True}, "older than yolo11n-pose.pt")])
def test_auto_ignores_an_unsuitable_export(tmp_path: Path, kw: dict[str, object], why: str) -> None:
    fake_openvino(exports_dir(tmp_path), **kw)  # type: ignore[arg-type]
    c = choose_backend(cfg(), PT, tmp_path)
    assert c.backend == "ultralytics" and why in c.reason


def test_auto_static_export_at_the_configured_size_is_fine(tmp_path: Path) -> None:
    fake_openvino(exports_dir(tmp_path), dynamic=False, imgsz=320)
    assert choose_backend(cfg(imgsz=320), PT, tmp_path).backend == "openvino"


def test_auto_on_cuda_runs_the_pt_with_gpu_side_processing(tmp_path: Path) -> None:
    fake_openvino(exports_dir(tmp_path))  # an export does not help a GPU
    assert choose_backend(cfg(device="cuda"), PT, tmp_path).backend == "torch"
    onnx = ResolvedModel(str(tmp_path / "m.onnx"), None, None)
    assert choose_backend(cfg(device="cuda:0"), onnx, tmp_path).backend == "ultralytics"


def test_auto_runs_exports_given_by_path_on_their_own_runtime(tmp_path: Path) -> None:
    ov = ResolvedModel(str(fake_openvino(tmp_path)), None, None)
    assert choose_backend(cfg(), ov, tmp_path).backend == "openvino"
    assert choose_backend(cfg(), ResolvedModel(str(tmp_path / "m.onnx"), None, None), tmp_path).backend == \
        "onnxruntime"
    for other in ("m.engine", "http://triton:8000/m"):
        target = other if other.startswith("http") else str(tmp_path / other)
        assert choose_backend(cfg(), ResolvedModel(target, None, None), tmp_path).backend == "ultralytics"


def test_explicit_backends(tmp_path: Path) -> None:
    assert choose_backend(cfg(backend="ultralytics"), PT, tmp_path).backend == "ultralytics"
    assert choose_backend(cfg(backend="torch"), PT, tmp_path).backend == "torch"
    with pytest.raises(ValueError, match="needs an openvino export of yolo11n-pose.pt"):
        choose_backend(cfg(backend="openvino"), PT, tmp_path)
    with pytest.raises(ValueError, match="'torch' runs .pt models"):
        choose_backend(cfg(backend="torch"), ResolvedModel(str(tmp_path / "m.onnx"), None, None), tmp_path)
    fake_openvino(exports_dir(tmp_path))
    assert choose_backend(cfg(backend="openvino"), PT, tmp_path).backend == "openvino"
    with pytest.raises(ValueError, match="cannot run"):
        choose_backend(cfg(backend="onnxruntime"), ResolvedModel(str(fake_openvino(tmp_path / "x")), None, None),
                       tmp_path)


def test_backend_is_a_config_field_with_a_clear_error() -> None:
    from pydantic import ValidationError

    assert DetectorConfig.model_validate({}).backend == "auto"
    with pytest.raises(ValidationError, match="backend"):
        DetectorConfig.model_validate({"backend": "tflite"})
