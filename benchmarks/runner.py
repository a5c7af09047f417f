"""Run one benchmark: clip, exports, RTSP server, the measured service process, then QueueManager."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .media import ClipSpec, prepare_clip
from .rtsp_server import RtspServer, gstreamer_problem
from .worker import WorkerSpec

CHECKOUT = Path(__file__).resolve().parents[1]
"""The source checkout: the benchmark's processes import `benchmarks` and `monitor` from it."""


class BenchError(Exception):
    """The benchmark cannot run here (missing packages, a failed step); the message says what to do."""


@dataclass(frozen=True)
class BenchOptions:
    """Everything the ``bench`` command was asked for."""

    cameras: int = 16
    interval_s: float = 2.0
    duration_s: float = 60.0
    warmup_s: float = 15.0
    device: str = "cpu"
    backend: str = "auto"
    model: str = "yolo11n-pose.pt"
    imgsz: int = 640
    max_batch: int = 8
    half: bool = False
    source: str = "rtsp"  # 'rtsp' (real streams) or 'memory' (decoded frames, for GPU throughput)
    clip: Path = Path()
    cache_dir: Path = Path()
    queue_manager_s: float = 20.0  # 0 skips the QueueManager comparison
    size: tuple[int, int] = (1280, 720)  # stream width, height: 1280x720 main streams, 640x360 substreams

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchOptions:
        """Return the options the `bench` command passed as JSON (paths as strings, the size as a list)."""
        return cls(**{**data, "clip": Path(data["clip"]), "cache_dir": Path(data["cache_dir"]),
                      "size": (int(data["size"][0]), int(data["size"][1]))})


def _cpu_seconds(pid: int | None) -> float:
    """Return user+system CPU seconds of a process from /proc (0 when it is gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _python_module(module: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` with this interpreter; stderr is kept for error messages."""
    path = os.pathsep.join(p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "YOLO_OFFLINE": "1", "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, stdin=subprocess.DEVNULL)


def ensure_export(opts: BenchOptions, state_dir: Path) -> str | None:
    """Make the export ``auto`` picks on the CPU, once, in ``<state_dir>/exports``; return what was done.

    The export runs in a subprocess, so torch stays out of the measured process. None: no export applies.
    """
    from monitor.config import DetectorConfig
    from monitor.detect.choose import bundled_export, exports_dir, find_export, is_cuda
    from monitor.detect.models import resolve_model

    if is_cuda(opts.device) or opts.backend not in ("auto", "openvino", "onnxruntime"):
        return None
    fmt = "onnx" if opts.backend == "onnxruntime" else "openvino"
    if importlib.util.find_spec("openvino" if fmt == "openvino" else "onnxruntime") is None:
        return None
    cfg = DetectorConfig.model_validate({"model": opts.model, "imgsz": opts.imgsz, "backend": opts.backend})
    bundled, _ = bundled_export(cfg, opts.model)
    if bundled is not None:
        return f"bundled {bundled.model.path} (models/exported, as the service runs it)"
    model = resolve_model(opts.model)
    if not model.path.endswith(".pt"):
        return None
    folder = exports_dir(state_dir)
    found, _ = find_export(model, fmt, cfg, folder)
    if found is not None:
        return f"{found} (cached)"
    r = _python_module("monitor", "export", "--format", fmt, "--dynamic", "--imgsz", str(opts.imgsz),
                       "--model", opts.model, "--out", str(folder), "--state-dir", str(state_dir), timeout=900)
    if r.returncode:
        raise BenchError(f"export of {opts.model} to {fmt} failed: {r.stderr.strip()[-800:]}")
    return f"{fmt} export made in {folder}"


def run_worker_process(spec: WorkerSpec, work: Path, timeout: float) -> dict[str, Any]:
    """Run the measured service in its own process (clean RSS and CPU figures); return its result."""
    spec_path, out_path = work / "worker-spec.json", work / "worker-result.json"
    spec_path.write_text(json.dumps(asdict(spec)))
    out_path.unlink(missing_ok=True)
    r = _python_module("benchmarks.worker", str(spec_path), str(out_path), timeout=timeout)
    if r.returncode or not out_path.is_file():
        raise BenchError(f"the service process failed (exit {r.returncode}): {r.stderr.strip()[-1500:]}")
    return dict(json.loads(out_path.read_text()))


def run_queue_manager_process(opts: BenchOptions, clip: Path, state_dir: Path, work: Path) -> dict[str, Any]:
    """Run the QueueManager loop in its own process (it imports torch); return its result."""
    missing = [m for m in ("shapely", "lap") if importlib.util.find_spec(m) is None]
    if missing:
        raise BenchError(f"the QueueManager comparison needs {', '.join(missing)} (pip install shapely lap); "
                         f"or skip it with --queue-manager-seconds 0")
    out = work / "queue-manager.json"
    out.unlink(missing_ok=True)
    r = _python_module("benchmarks.queue_manager", str(clip), str(state_dir), str(out), "--device", opts.device,
                       "--model", opts.model, "--imgsz", str(opts.imgsz), "--seconds", str(opts.queue_manager_s),
                       timeout=opts.queue_manager_s + 300)
    if r.returncode or not out.is_file():
        raise BenchError(f"the QueueManager loop failed (exit {r.returncode}): {r.stderr.strip()[-1500:]}")
    return dict(json.loads(out.read_text()))


def run_bench(opts: BenchOptions, say: Any = print) -> dict[str, Any]:
    """Run the whole benchmark; ``say`` receives progress lines. Returns every figure (see report.summary)."""
    if opts.source == "rtsp":
        problem = gstreamer_problem()
        if problem:
            raise BenchError(problem)
    if not opts.clip.is_file():
        raise BenchError(f"benchmark clip {opts.clip} not found (set --clip or ONESTOP_SHARED_DATA)")
    state_dir = opts.cache_dir / "state"
    work = opts.cache_dir / f"run-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    w, h = opts.size
    say(f"preparing the clip: {opts.clip.name} -> {w}x{h} H.264, 2 s GOP (once, cached in {opts.cache_dir})")
    clip = prepare_clip(opts.clip, opts.cache_dir, ClipSpec(width=w, height=h))
    made = ensure_export(opts, state_dir)
    if made:
        say(f"model export: {made}")
    spec = WorkerSpec(urls=[], cameras=opts.cameras, interval_s=opts.interval_s, duration_s=opts.duration_s,
                      warmup_s=opts.warmup_s, state_dir=str(state_dir), device=opts.device, backend=opts.backend,
                      model=opts.model, imgsz=opts.imgsz, max_batch=opts.max_batch, half=opts.half,
                      source=opts.source, clip=str(clip))
    timeout = opts.warmup_s + opts.duration_s + 600
    try:
        result = _measure(opts, spec, clip, work, timeout, say)
        if opts.queue_manager_s > 0:
            say(f"running Ultralytics solutions.QueueManager on the same clip for {opts.queue_manager_s:g} s")
            result["queue_manager"] = run_queue_manager_process(opts, clip, state_dir, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _measure(opts: BenchOptions, spec: WorkerSpec, clip: Path, work: Path, timeout: float,
             say: Any) -> dict[str, Any]:
    """Serve the streams (or not, for memory cameras) and run the measured service process."""
    server_cores = 0.0
    if opts.source == "rtsp":
        mounts: dict[str, str | Path] = {f"cam{i:03d}": clip for i in range(1, opts.cameras)}
        with RtspServer(clip, name="cam000", mounts=mounts) as server:
            spec.urls = [server.url_for(f"cam{i:03d}") for i in range(opts.cameras)]
            say(f"RTSP server on 127.0.0.1:{server.port} with {opts.cameras} mounts; running the service for "
                f"{opts.warmup_s:g} s warm-up + {opts.duration_s:g} s")
            t0, s0 = time.perf_counter(), _cpu_seconds(server.pid)
            result = run_worker_process(spec, work, timeout)
            server_cores = (_cpu_seconds(server.pid) - s0) / (time.perf_counter() - t0)
    else:
        say(f"{opts.cameras} in-memory cameras (decoded frames); running the service for {opts.warmup_s:g} s "
            f"warm-up + {opts.duration_s:g} s")
        result = run_worker_process(spec, work, timeout)
    result["server_cores"] = server_cores
    result["clip"] = str(clip)
    result["size"] = f"{opts.size[0]}x{opts.size[1]}"
    return result
