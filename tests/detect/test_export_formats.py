"""export: ONNX and OpenVINO exports are made offline and count the same people as the .pt model."""

from __future__ import annotations

import json
import multiprocessing.process
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from monitor.cli import main
from monitor.config import load_config
from monitor.detect import build_detectors
from monitor.detect.base import Detector
from tests.support.paths import CLASSROOM, REPO

pytestmark = pytest.mark.slow

IMAGES = ["PartA_00000.jpg", "PartA_00048.jpg", "PartA_00096.jpg", "PartA_00128.jpg", "PartA_00224.jpg",
          "PartA_00240.jpg"]


def read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, detect_state_dir: Path) -> Iterator[dict[str, Any]]:
    """Export both formats through the CLI while recording every non-loopback network attempt."""
    out = tmp_path_factory.mktemp("exported")
    attempts: list[str] = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: Any, *a: Any, **k: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1"):
            attempts.append(f"dns {host}")
        return real_getaddrinfo(host, *a, **k)

    def connect(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            attempts.append(f"connect {address[0]}")
        return real_connect(self, address)

    def start(self: multiprocessing.process.BaseProcess) -> None:
        # OpenVINO's telemetry posts from a forked child, out of reach of the socket hooks above.
        attempts.append(f"process {getattr(self, '_target', None)}")

    home = out / "home"
    home.mkdir()
    codes = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(multiprocessing.process.BaseProcess, "start", start)
        mp.setenv("HOME", str(home))  # telemetry client ids would be written here
        for fmt in ("onnx", "openvino"):
            codes[fmt] = main(["export", "--format", fmt, "--out", str(out / "models"),
                               "--state-dir", str(detect_state_dir)])
    yield {"dir": out, "codes": codes, "attempts": attempts, "home": sorted(p.name for p in home.iterdir())}


def test_export_writes_both_formats_without_network(exported: dict[str, Any],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    models = exported["dir"] / "models"
    assert exported["codes"] == {"onnx": 0, "openvino": 0}
    assert exported["attempts"] == []
    assert exported["home"] == []
    assert (models / "yolo11n-pose.onnx").is_file()
    ov = models / "yolo11n-pose_openvino_model"
    assert {p.suffix for p in ov.iterdir()} >= {".xml", ".bin", ".yaml"}
    assert sorted(p.name for p in models.iterdir()) == ["yolo11n-pose.onnx", "yolo11n-pose_openvino_model"]


@pytest.mark.parametrize("model", ["models/yolo11n-pose_openvino_model/", "models/yolo11n-pose.onnx"])
def test_exported_model_from_config_counts_like_the_pt(exported: dict[str, Any], model: str,
                                                       pose_detector: Detector,
                                                       detect_state_dir: Path) -> None:
    config = exported["dir"] / "config.yaml"
    config.write_text(textwrap.dedent(f"""\
        detector: {{model: {model}, imgsz: 640}}
        sites:
          - id: lab
            name: Lab
            timezone: Asia/Ho_Chi_Minh
            hours: {{mon-fri: ["07:30-17:00"]}}
            cameras: [{{id: cam, url: {CLASSROOM / 'images' / IMAGES[0]}}}]
        """))
    cfg = load_config(config).config
    det = build_detectors(cfg.detector, {"person"}, detect_state_dir, base_dir=config.parent)["person"]
    assert det.name == Path(model.rstrip("/")).name
    images = [read(CLASSROOM / "images" / n) for n in IMAGES]
    pt = [len(d) for d in pose_detector.predict(images)]
    other = [len(d) for d in det.predict(images)]
    assert sum(pt) >= 10  # the images do hold people
    assert all(abs(a - b) <= 1 for a, b in zip(pt, other, strict=True)), (pt, other)
    assert all(d.keypoints is not None for d in det.predict(images[:1]) if len(d))  # pose output kept


def test_export_refuses_non_pt_and_unknown_models(tmp_path: Path, detect_state_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.onnx").write_bytes(b"x")
    assert main(["export", "--model", str(tmp_path / "m.onnx"), "--out", str(tmp_path / "o"),
                 "--state-dir", str(detect_state_dir)]) == 2
    assert "only .pt models can be exported" in capsys.readouterr().err
    assert main(["export", "--model", "yolo99.pt", "--out", str(tmp_path / "o"),
                 "--state-dir", str(detect_state_dir)]) == 2
    assert "neither a known name" in capsys.readouterr().err


def test_openvino_inference_sends_no_telemetry(exported: dict[str, Any], detect_state_dir: Path,
                                               tmp_path: Path) -> None:
    # `import openvino` posts a usage event and writes ~/intel/ unless told otherwise; run in a fresh process
    # (OpenVINO's telemetry is a per-process singleton) with an empty home to see what it leaves there.
    home = tmp_path / "home"
    home.mkdir()
    model = exported["dir"] / "models" / "yolo11n-pose_openvino_model"
    env = {**os.environ, "HOME": str(home)}
    env.pop("CI", None)
    out = subprocess.run([sys.executable, "-m", "monitor", "count", "--model", str(model), "--state-dir",
                          str(detect_state_dir), str(CLASSROOM / "images" / "PartA_00128.jpg")],
                         capture_output=True, text=True, cwd=REPO, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["people"] == 1
    assert sorted(p.name for p in home.rglob("*")) == []
