"""Runtime install (install.sh --runtime) in a clean venv: no torch, the demo runs, counts equal the full install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO
from tests.support.process import MonitorProcess, wait_until

pytestmark = pytest.mark.slow

RUNTIME_VENV = Path(os.environ.get("ONESTOP_RUNTIME_VENV", REPO / ".venv-runtime"))
INPUTS = [REPO / "pyproject.toml", REPO / "scripts" / "install.sh"]


@pytest.fixture(scope="module")
def runtime_python() -> Path:
    """Return the runtime venv's python, installing it with the project's own script when missing or outdated.

    `make test` builds it first (make install-runtime); pip reaches PyPI for it like the full install does.
    """
    stamp = RUNTIME_VENV / ".installed"
    if not stamp.is_file() or any(p.stat().st_mtime > stamp.stat().st_mtime for p in INPUTS):
        res = subprocess.run(["bash", str(REPO / "scripts" / "install.sh"), "--runtime"], cwd=REPO,
                             env={**os.environ, "VENV": str(RUNTIME_VENV)}, capture_output=True, text=True,
                             timeout=1200)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return RUNTIME_VENV / "bin" / "python"


def run_py(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)


def test_runtime_venv_has_no_torch_ultralytics_or_cuda(runtime_python: Path) -> None:
    res = run_py(runtime_python, "import torch")
    assert res.returncode != 0 and "No module named 'torch'" in res.stderr
    res = run_py(runtime_python, "import importlib.util as u; print([m for m in ('torch', 'ultralytics', "
                                 "'torchvision', 'onnxruntime', 'nvidia', 'triton') if u.find_spec(m)])")
    assert res.stdout.strip() == "[]", res.stderr
    site = Path(run_py(runtime_python, "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    cuda = [p.name for p in site.rglob("libcu*.so*")] + [p.name for p in site.rglob("libnccl*.so*")]
    assert cuda == []
    size_mb = sum(f.stat().st_size for f in RUNTIME_VENV.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20
    print(f"runtime venv {RUNTIME_VENV}: {size_mb:.0f} MB")
    assert size_mb < 1024


def test_service_imports_no_torch_in_either_install(runtime_python: Path, tmp_path: Path) -> None:
    """Build what `run` builds (config, detectors, engine, API app) and list the heavy modules it imported."""
    code = f"""
import sys
from monitor.commands._common import load_detectors, load_or_report
from monitor.api.app import create_app
from monitor.api.deps import AppParts
from monitor.metrics import Metrics
from monitor.pipeline.engine import Engine
import monitor.commands.run, monitor.commands.check_config, monitor.commands.count, monitor.commands.bench
loaded = load_or_report({str(REPO / "configs" / "demo.yaml")!r})
loaded = loaded.__class__(**{{**vars(loaded), "config": loaded.config.model_copy(update={{"service":
    loaded.config.service.model_copy(update={{"state_dir": __import__("pathlib").Path({str(tmp_path)!r})}})}})}})
cams = [c for s in loaded.config.sites for c in s.cameras]
dets = load_detectors(loaded, cams)
metrics = Metrics()
engine = Engine(loaded, dets, metrics)
create_app(AppParts(config=loaded, metrics=metrics, engine=engine))
print(sorted(m for m in ("torch", "ultralytics", "torchvision", "onnxruntime") if m in sys.modules),
      type(dets["person"]).__name__)
"""
    for python in (runtime_python, Path(sys.executable)):
        res = run_py(python, code)
        assert res.returncode == 0, res.stderr[-3000:]
        assert res.stdout.split("\n")[-2] == "[] OpenVINODetector", (python, res.stdout[-500:])


def demo_counts(python: Path, workdir: Path) -> dict[str, Any]:
    config = yaml.safe_load((REPO / "configs" / "demo.yaml").read_text())
    workdir.mkdir()
    svc = MonitorProcess(config, workdir, python=str(python)).start()
    try:
        status = wait_until(lambda: (s := svc.status()) and all(z["last_count"] is not None
                                                                for z in s["sites"][0]["zones"]) and s,
                            90, what="demo zones counted")
        log = svc.log_path.read_text()
    finally:
        assert svc.stop() == 0
    first = next(json.loads(line) for line in log.splitlines() if "runs on" in line)
    return {"zones": {z["id"]: z["last_count"] for z in status["sites"][0]["zones"]},
            "counters": {c["id"]: c["state"] for c in status["sites"][0]["counters"]},
            "model": (first["msg"], Path(first["model_file"]).name, first["sha256"])}


def test_demo_runs_in_the_runtime_install_with_the_full_installs_counts(runtime_python: Path,
                                                                        tmp_path: Path) -> None:
    slim = demo_counts(runtime_python, tmp_path / "runtime")
    full = demo_counts(Path(sys.executable), tmp_path / "full")
    assert slim == full
    assert slim["zones"]["waiting"] >= 3 and slim["counters"] == {"desk-1": "serving"}
    assert slim["model"][0] == "person model yolo11n-pose_openvino_model runs on openvino (auto: bundled export " \
                               "of yolo11n-pose.pt)"


def test_count_command_gives_the_same_answer_in_both_installs(runtime_python: Path) -> None:
    image = str(REPO / "monitor" / "demo" / "bus.jpg")
    outs = []
    for python in (runtime_python, Path(sys.executable)):
        res = subprocess.run([str(python), "-m", "monitor", "count", "--mode", "person", image], capture_output=True,
                             text=True, timeout=300, cwd=REPO)
        assert res.returncode == 0, res.stderr[-2000:]
        outs.append(json.loads(res.stdout.strip().splitlines()[-1]))
    assert outs[0] == outs[1] and outs[0]["people"] >= 4
