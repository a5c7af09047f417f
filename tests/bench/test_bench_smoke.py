"""`onestop-monitor bench` runs end to end (2 real RTSP streams, 10 s) and reports sane figures; no timing limits."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.report import KEYS, render, summary
from tests.support.paths import ONE_BY_ONE, REPO

pytestmark = pytest.mark.slow


def run_bench(cache: Path, *args: str) -> tuple[list[str], dict[str, Any]]:
    """Run the real command; return its stdout lines and the JSON of the last line."""
    r = subprocess.run([sys.executable, "-m", "monitor", "bench", "--clip", str(ONE_BY_ONE), "--cache-dir", str(cache),
                        *args], capture_output=True, text=True, timeout=900, cwd=REPO,
                       env={**os.environ, "YOLO_OFFLINE": "1"})
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    lines = r.stdout.strip().splitlines()
    print("\n".join(lines))  # the figures, for whoever reads the test log
    return lines, json.loads(lines[-1])


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-cache")


@pytest.fixture(scope="module")
def rtsp_run(cache: Path) -> tuple[list[str], dict[str, Any]]:
    from benchmarks.rtsp_server import gstreamer_problem

    problem = gstreamer_problem()
    if problem:
        pytest.skip(problem)
    return run_bench(cache, "--cameras", "2", "--interval", "2s", "--duration", "10s", "--warmup", "8s",
                     "--queue-manager-seconds", "3s", "--size", "640x360")


def test_two_rtsp_cameras_give_sane_figures(rtsp_run: tuple[list[str], dict[str, Any]]) -> None:
    lines, figures = rtsp_run
    assert list(figures)[:len(KEYS)] == list(KEYS)
    assert figures["cameras"] == 2 and figures["interval_s"] == 2.0
    # 2 cameras every 2 s: about 1 sample/s (jitter at the window's edges), nothing dropped on an idle machine
    assert 0.5 <= figures["samples_per_s"] <= 1.5
    assert figures["decode_modes"] == {"keyframes": 2}  # 2 s GOP sampled every 2 s: keyframes only
    assert 0 < figures["lag_p50_s"] <= figures["lag_p95_s"] < 30
    assert figures["cpu_ms_per_sample"] > 0 and figures["model_ms"] > 0
    assert figures["ratio"] == pytest.approx(figures["cpu_ms_per_sample"] / figures["model_ms"], rel=0.02)
    assert figures["ratio"] > 0.9  # a sample costs at least the model
    assert 50 < figures["rss_mb"] < 4000
    assert figures["queue_manager_fps"] > 0
    assert figures["backend"] == "OpenVINODetector"  # auto on CPU: the bundled export, as the service runs it
    assert figures["model_file"].endswith("models/exported/yolo11n-pose_openvino_model")
    assert figures["size"] == "640x360"
    assert any("torch imported by the service: no" in line for line in lines)


def test_clip_is_camera_like_and_cached(cache: Path, rtsp_run: tuple[list[str], dict[str, Any]]) -> None:
    import av

    from benchmarks.media import keyframe_times

    clips = list(cache.glob("one-by-one-person-detection_640x360_*.mp4"))  # --size 640x360: a substream
    assert len(clips) == 1
    assert keyframe_times(clips[0], 5) == pytest.approx([0.0, 2.0, 4.0, 6.0, 8.0])
    with av.open(str(clips[0])) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height, s.average_rate) == (640, 360, 25)
    assert not (cache / "state" / "exports").exists()  # the bundled export runs: nothing to export
    assert not list(cache.glob("run-*"))  # the run's scratch folder is removed


def test_gpu_path_runs_on_cpu_with_memory_cameras(cache: Path) -> None:
    # The --device cuda pipeline (torch backend: letterbox, normalisation and NMS in torch; in-memory decoded
    # frames) on CPU tensors: same code, so the GPU run only changes the device.
    lines, figures = run_bench(cache, "--source", "memory", "--backend", "torch", "--cameras", "3",
                               "--duration", "5s", "--warmup", "3s", "--queue-manager-seconds", "0")
    assert figures["backend"] == "TorchDetector" and figures["source"] == "memory"
    assert figures["samples_per_s"] > 0 and figures["model_ms"] > 0
    assert figures["queue_manager_fps"] is None
    assert any("torch network forward" in line for line in lines)


def test_size_option_checks_its_value() -> None:
    bad = subprocess.run([sys.executable, "-m", "monitor", "bench", "--size", "640x361"], capture_output=True,
                         text=True, timeout=120, cwd=REPO)
    assert bad.returncode == 2 and "H.264 needs an even width and height" in bad.stderr
    bad = subprocess.run([sys.executable, "-m", "monitor", "bench", "--size", "big"], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert bad.returncode == 2 and "size must be WxH" in bad.stderr


def test_command_outside_a_checkout_says_where_the_harness_is(tmp_path: Path) -> None:
    # An install without benchmarks/ beside the package: the command says so instead of failing on an import.
    shutil.copytree(REPO / "monitor", tmp_path / "monitor", ignore=shutil.ignore_patterns("__pycache__"))
    r = subprocess.run([sys.executable, "-m", "monitor", "bench", "--cameras", "1"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert r.returncode == 2, r.stderr[-2000:]
    assert "ships with the source checkout" in r.stderr and str(tmp_path / "monitor") in r.stderr


def test_report_keys_and_nan_become_null() -> None:
    result = {"cameras": 1, "interval_s": 2.0, "samples_per_s": 0.0, "lag_p50_s": math.nan, "lag_p95_s": math.nan,
              "wait_p95_s": math.nan, "expected_per_s": 0.5, "cpu_ms_per_sample": math.nan, "cpu_cores": 0.1,
              "model_ms": 40.0, "model_wall_ms": 30.0, "rss_mb": 300.0, "rss_model_mb": 250.0}
    s = summary(result)
    assert list(s)[:len(KEYS)] == list(KEYS)
    assert s["lag_p95_s"] is None and s["cpu_ms_per_sample"] is None and s["ratio"] is None
    assert s["rss_per_camera_mb"] == 50.0 and s["queue_manager_fps"] is None
    last = render(result)[-1]
    assert json.loads(last)["rss_mb"] == 300.0 and "NaN" not in last
