"""Triton backend against a real Triton Inference Server (PyTriton's tritonserver, CPU): counts as the local backend."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from monitor.config import DetectorConfig
from monitor.detect import build_detectors
from monitor.detect.base import Detector
from monitor.detect.models import MODELS_DIR
from monitor.detect.triton_backend import decode_response, metadata_from_config, split_model_url
from tests.support.paths import CLASSROOM, REPO
from tests.support.process import free_port, wait_until

TRITON_VENV = Path(os.environ.get("ONESTOP_TRITON_VENV", REPO / ".venv-triton"))
REQUIREMENTS = REPO / "requirements" / "triton-test.txt"
EXPORT = MODELS_DIR / "exported" / "yolo11n-pose_openvino_model"
CLASSROOM_IMAGES = ["PartA_00000.jpg", "PartA_00048.jpg", "PartA_00096.jpg"]
STATE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "onestop-monitor" / "tests-triton"


def triton_python() -> Path:
    """Return the Python of the Triton venv, building it (python3.11 -m venv + pip) when missing or outdated."""
    stamp = TRITON_VENV / ".installed"
    if not stamp.is_file() or stamp.stat().st_mtime < REQUIREMENTS.stat().st_mtime:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TRITON_VENV)], check=True, timeout=300)
        res = subprocess.run([str(TRITON_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                              str(REQUIREMENTS)], capture_output=True, text=True, timeout=1200)
        assert res.returncode == 0, res.stderr[-3000:]
        stamp.touch()
    return TRITON_VENV / "bin" / "python"


@pytest.fixture(scope="module")
def triton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    python = triton_python()
    work = tmp_path_factory.mktemp("triton")
    port = free_port()
    base = subprocess.run([str(python), "-c", "import sys; print(sys.base_prefix)"], capture_output=True,
                          text=True, check=True).stdout.strip()
    # The Python backend's stub links libpython3.11: take the venv's own interpreter's, not another install's.
    env = {**os.environ, "LD_LIBRARY_PATH": f"{base}/lib", "HOME": str(work)}
    log = work / "triton.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(python), str(REPO / "tests" / "support" / "triton_server.py"),
                                 "--model-dir", str(EXPORT), "--name", "yolo11n-pose", "--http-port", str(port),
                                 "--grpc-port", str(free_port()), "--metrics-port", str(free_port()),
                                 "--workspace", str(work / "ws")], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_until(lambda: proc.poll() is None and httpx.get(f"http://127.0.0.1:{port}/v2/models/yolo11n-pose/ready",
                                                             timeout=2).status_code == 200, 240,
                   what=f"triton ready ({log})")
        yield {"url": f"http://127.0.0.1:{port}/yolo11n-pose", "log": log, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def batches(log: Path) -> list[int]:
    return [int(m) for m in re.findall(r"^batch (\d+) ", log.read_text(errors="replace"), re.M)]


def frames() -> list[np.ndarray]:
    """Two frames of other sizes, then 3 classroom frames as 3 cameras of one model would give them (1024x576)."""
    images = [cv2.imread(str(REPO / "monitor" / "demo" / n)) for n in ("bus.jpg", "zidane.jpg")]
    images += [classroom(n) for n in CLASSROOM_IMAGES]
    assert all(isinstance(i, np.ndarray) for i in images)
    return images


def classroom(name: str) -> np.ndarray:
    image = cv2.imread(str(CLASSROOM / "images" / name))
    assert image is not None, name
    return cv2.resize(image, (1024, 576), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def local() -> Detector:
    det = build_detectors(DetectorConfig.model_validate({}), {"person"}, STATE)["person"]
    assert type(det).__name__ == "OpenVINODetector"
    return det


@pytest.mark.slow
def test_batch_from_three_cameras_counts_as_the_local_backend(triton: dict[str, object], local: Detector) -> None:
    remote = build_detectors(DetectorConfig.model_validate({"backend": "triton", "model": triton["url"]}),
                             {"person"}, STATE)["person"]
    assert type(remote).__name__ == "TritonDetector" and remote.name == "yolo11n-pose"
    images = frames()
    before = len(batches(triton["log"]))  # type: ignore[arg-type]
    ours, theirs = remote.predict(images), local.predict(images)
    assert [len(d) for d in ours] == [len(d) for d in theirs] and sum(len(d) for d in ours) >= 10
    for a, b in zip(ours, theirs, strict=True):
        assert a.frame_size == b.frame_size and a.keypoints is not None and a.keypoints.shape == b.keypoints.shape
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=0.5)
    seen = batches(triton["log"])[before:]  # type: ignore[arg-type]
    assert 3 in seen  # the 3 classroom frames (one size) went to the model as one batch


@pytest.mark.slow
def test_triton_batches_requests_of_several_shards(triton: dict[str, object]) -> None:
    """Three detectors (as three shards would) send one frame each at once: Triton's batcher merges them."""
    cfg = DetectorConfig.model_validate({"backend": "triton", "model": triton["url"]})
    shards = [build_detectors(cfg, {"person"}, STATE)["person"] for _ in range(3)]
    image = classroom(CLASSROOM_IMAGES[0])
    counts: list[int] = []
    before = len(batches(triton["log"]))  # type: ignore[arg-type]
    for _ in range(4):
        gate = threading.Barrier(3)

        def send(det: Detector, gate: threading.Barrier) -> None:
            gate.wait()
            counts.append(len(det.predict([image])[0]))

        threads = [threading.Thread(target=send, args=(d, gate)) for d in shards]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert len(counts) == 12 and len(set(counts)) == 1
    seen = batches(triton["log"])[before:]  # type: ignore[arg-type]
    assert sum(seen) == 12 and max(seen) >= 2, seen  # at least once, frames of two shards ran as one batch


def test_url_metadata_and_answer_parsing() -> None:
    assert split_model_url("http://triton:8000/yolo11n-pose") == ("http://triton:8000", "yolo11n-pose")
    assert split_model_url("https://gpu.example/triton/v1/yolo11n-head") == ("https://gpu.example/triton/v1",
                                                                            "yolo11n-head")
    for bad in ("grpc://triton:8001/yolo11n-pose", "http://triton:8000/"):
        with pytest.raises(ValueError):
            split_model_url(bad)
    text = (REPO / "deploy" / "triton" / "model_repository" / "yolo11n-pose" / "config.pbtxt").read_text()
    raw = re.search(r'string_value: "(.*)" }', text).group(1).encode().decode("unicode_escape")  # type: ignore[union-attr]
    meta = metadata_from_config({"parameters": {"metadata": {"string_value": raw}}})
    assert meta is not None and meta["task"] == "pose" and meta["kpt_shape"] == [17, 3]
    assert metadata_from_config({"parameters": {}}) is None
    out = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    head = b'{"outputs": [{"name": "output0", "datatype": "FP32", "shape": [1, 3, 4], ' \
           b'"parameters": {"binary_data_size": 48}}]}'
    np.testing.assert_array_equal(decode_response(head + out.tobytes(), str(len(head)), "output0"), out)
    plain = b'{"outputs": [{"name": "output0", "datatype": "FP32", "shape": [1, 2], "data": [1.5, 2.5]}]}'
    np.testing.assert_array_equal(decode_response(plain, None, "output0"), [[1.5, 2.5]])


def test_unreachable_server_is_a_clear_error_without_credentials() -> None:
    url = f"http://user:s3cret-pass@127.0.0.1:{free_port()}/yolo11n-pose"
    with pytest.raises(RuntimeError) as err:
        build_detectors(DetectorConfig.model_validate({"backend": "triton", "model": url}), {"person"},
                        STATE)
    assert "unreachable" in str(err.value) and "s3cret-pass" not in str(err.value)
    with pytest.raises(ValueError, match="needs detector.model as a Triton URL"):
        build_detectors(DetectorConfig.model_validate({"backend": "triton"}), {"person"},
                        STATE)


@pytest.mark.slow
def test_repository_configs_parse_as_triton_model_configs() -> None:
    """Triton's own ModelConfig protobuf (from tritonclient, in the Triton venv) reads every config.pbtxt."""
    python = triton_python()
    code = ("import sys; from google.protobuf import text_format; from tritonclient.grpc import model_config_pb2 as m\n"
            "for path in sys.argv[1:]:\n"
            "    c = text_format.Parse(open(path).read(), m.ModelConfig())\n"
            "    print(c.name, c.backend, c.max_batch_size, c.input[0].name, list(c.input[0].dims), c.output[0].name,"
            " c.dynamic_batching.max_queue_delay_microseconds, 'metadata' in c.parameters)")
    configs = sorted((REPO / "deploy" / "triton" / "model_repository").glob("*/config.pbtxt"))
    res = subprocess.run([str(python), "-c", code, *map(str, configs)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "yolo11n-head onnxruntime 32 images [3, -1, -1] output0 2000 True",
        "yolo11n-pose onnxruntime 32 images [3, -1, -1] output0 2000 True"]
    check = subprocess.run([sys.executable, str(REPO / "deploy" / "triton" / "build_repository.py"), "--check"],
                           capture_output=True, text=True, timeout=120, cwd=REPO)
    assert check.returncode == 0 and "up to date" in check.stdout, check.stdout + check.stderr
