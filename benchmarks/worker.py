"""The measured service process of the benchmark: the real Engine on N cameras, measured through public hooks.

Each analysed sample is heard through the engine's sample observer; decode modes, last frames and dropped samples
are read from its read-only view and its metrics.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from monitor.config import CameraConfig, LoadedConfig, load_config
from monitor.metrics import Metrics
from monitor.pipeline.engine import Engine
from monitor.pipeline.readonly import Applied
from monitor.sources import CameraSource, open_source

# Zones of a typical counter camera, in normalised coordinates: waiting area below, one counter above.
ZONES: list[dict[str, Any]] = [
    {"id": "waiting", "kind": "queue", "polygon": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]},
    {"id": "staff", "kind": "staff", "counter": "desk", "polygon": [[0.1, 0.05], [0.5, 0.05], [0.5, 0.5], [0.1, 0.5]]},
    {"id": "front", "kind": "service", "counter": "desk",
     "polygon": [[0.5, 0.05], [0.9, 0.05], [0.9, 0.5], [0.5, 0.5]]},
]


@dataclass
class WorkerSpec:
    """What the worker runs: passed as JSON from the ``bench`` command."""

    urls: list[str]  # one per camera; empty with source 'memory'
    cameras: int
    interval_s: float
    duration_s: float
    warmup_s: float
    state_dir: str
    # The detector and source settings, without defaults of their own: BenchOptions holds those.
    device: str
    backend: str
    model: str
    imgsz: int
    max_batch: int
    half: bool
    source: str  # 'rtsp' or 'memory'
    clip: str  # the clip, for memory frames and the bare-model frames


def site_config(spec: WorkerSpec) -> dict[str, Any]:
    """Return the service config for the benchmark: one site open every day, N counter cameras."""
    # Memory cameras name the clip as their URL; the memory source factory never opens it.
    urls = spec.urls or [spec.clip] * spec.cameras
    kind = "stream" if spec.urls else "file"
    cameras = [{"id": f"cam{i:03d}", "url": url, "type": kind, "sample_every": f"{spec.interval_s}s",
                "zones": [{**z, "id": f"{z['id']}-{i:03d}", **({"counter": f"desk-{i:03d}"} if "counter" in z
                                                                else {})} for z in ZONES]}
               for i, url in enumerate(urls)]
    return {
        "service": {"state_dir": spec.state_dir, "log_level": "warning"},
        "detector": {"model": spec.model, "imgsz": spec.imgsz, "device": spec.device, "backend": spec.backend,
                     "max_batch": spec.max_batch, "half": spec.half},
        "sites": [{"id": "bench", "name": "Benchmark", "timezone": "Asia/Ho_Chi_Minh",
                   "hours": {"mon-sun": ["00:00-23:59"]},
                   "counters": [{"id": f"desk-{i:03d}", "name": f"Desk {i}"} for i in range(len(urls))],
                   "cameras": cameras}],
    }


class SampleLog:
    """Records for each analysed sample its lag and queue wait, heard through the Engine's sample observer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (applied at, capture->applied lag, queued->applied wait, batch size) per analysed sample
        self.samples: list[tuple[float, float, float, int]] = []

    def __call__(self, s: Applied) -> None:
        """Record one applied sample (as onestop_sample_lag_seconds measures its lag)."""
        with self.lock:
            self.samples.append((s.applied_at, s.applied_at - s.frame_ts,
                                 s.waited_s if s.waited_s is not None else float("nan"), s.batch))

    def between(self, start: float, end: float) -> list[tuple[float, float, float, int]]:
        """Return the samples applied from start to end."""
        with self.lock:
            return [s for s in self.samples if start <= s[0] <= end]


def _proc_status_mb(key: str) -> float:
    """Return a memory figure of this process from /proc/self/status (VmRSS, VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _thread_cpu() -> dict[int, float]:
    """Return CPU seconds per thread id of this process (Linux /proc)."""
    out: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _role(name: str) -> str:
    """Group Python threads by what they do (names set by the sources, engine, its outputs and APScheduler)."""
    if name.startswith("source-"):
        return "camera readers (demux, keyframe decode)"
    if name == "inference":
        return "inference worker (letterbox, NMS, zones, state)"
    if name.startswith(("ThreadPoolExecutor", "APScheduler")):
        return "scheduler (sampling: BGR conversion; clock: snapshots)"
    if name.startswith("tick-"):
        return "outputs (metrics, alerts, evidence, history)"
    return "other Python threads"


def cpu_by_role(before: dict[int, float], after: dict[int, float]) -> dict[str, float]:
    """Return CPU seconds spent between two _thread_cpu() readings, by thread role."""
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    out: dict[str, float] = {}
    for tid, cpu in after.items():
        role = _role(names[tid]) if tid in names else "native threads (model runtime, decoder)"
        out[role] = out.get(role, 0.0) + cpu - before.get(tid, 0.0)
    return {k: round(v, 3) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def _dropped(metrics: Metrics) -> float:
    """Return onestop_samples_dropped_total summed over cameras."""
    return sum(s.value for m in metrics.registry.collect() if m.name == "onestop_samples_dropped"
               for s in m.samples if s.name.endswith("_total"))


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _source_factory(spec: WorkerSpec) -> Callable[[CameraConfig], CameraSource]:
    """Return the engine's source factory: the cameras' own sources, or decoded frames in memory."""
    if spec.source != "memory":
        return open_source
    from .media import sample_frames
    from .memory_source import MemorySource

    frames = sample_frames(Path(spec.clip), 16)

    def make(cam: CameraConfig) -> CameraSource:
        return MemorySource(cam, frames, offset=int(cam.id[3:]))

    return make


def run_worker(spec: WorkerSpec) -> dict[str, Any]:
    """Load the model, run the engine for warm-up + duration, then time the bare model; return the figures."""
    from monitor.commands._common import load_detectors

    work = Path(spec.state_dir)
    work.mkdir(parents=True, exist_ok=True)
    config_path = work / "bench-config.yaml"
    config_path.write_text(yaml.safe_dump(site_config(spec), sort_keys=False))
    loaded: LoadedConfig = load_config(config_path)
    cameras = [c for s in loaded.config.sites for c in s.cameras]
    t0 = time.perf_counter()
    batches: Counter[int] = Counter()
    detectors = load_detectors(loaded, cameras, on_batch=lambda name, s, n: batches.update([n]))
    det = detectors["person"]
    # Warm up at the cameras' size and a multi-frame batch, so the runtime's per-shape and per-stream
    # buffers count as the model's memory, not the cameras'.
    black = np.zeros((720, 1280, 3), np.uint8)
    det.predict([black] * min(spec.max_batch, 4))
    det.predict([black])
    load_s = time.perf_counter() - t0
    rss_model = _proc_status_mb("VmRSS")
    samples = SampleLog()
    metrics = Metrics()
    engine = Engine(loaded, detectors, metrics, source_factory=_source_factory(spec), observer=samples)
    engine.start()
    try:
        time.sleep(spec.warmup_s)
        batches.clear()
        w0, c0, dropped0 = time.perf_counter(), time.process_time(), _dropped(metrics)
        threads0 = _thread_cpu()
        start_at = time.time()
        time.sleep(spec.duration_s)
        w1, c1 = time.perf_counter(), time.process_time()
        roles = cpu_by_role(threads0, _thread_cpu())
        end_at = time.time()
        window = samples.between(start_at, end_at)
        rss_peak, rss_now = _proc_status_mb("VmHWM"), _proc_status_mb("VmRSS")
        modes = Counter(c.decode_mode or "none" for snap in engine.snapshots() for c in snap.cameras.values())
        dropped = _dropped(metrics) - dropped0
        last = [engine.camera(c.id) for c in cameras]
        frames = [c.last.frame.image for c in last if c is not None and c.last is not None]
    finally:
        engine.stop()
    from .model_time import time_model

    mean_batch = sum(k * v for k, v in batches.items()) / sum(batches.values()) if batches else 1.0
    if not frames:
        from .media import sample_frames

        frames = sample_frames(Path(spec.clip), 4) if spec.clip else []
    bare_batch = max(1, round(mean_batch))
    timing = time_model(det, frames, batch=bare_batch) if frames else None
    timing1 = time_model(det, frames, batch=1) if frames and bare_batch != 1 else timing
    lags = sorted(s[1] for s in window)
    waits = sorted(s[2] for s in window if not math.isnan(s[2]))  # NaN: a sample not taken from the queue
    n = len(window)
    cpu_s = c1 - c0
    return {
        "cameras": spec.cameras, "interval_s": spec.interval_s, "duration_s": round(w1 - w0, 2),
        "samples": n, "samples_per_s": n / (w1 - w0) if w1 > w0 else 0.0,
        "expected_per_s": spec.cameras / spec.interval_s,
        "lag_p50_s": _percentile(lags, 50), "lag_p95_s": _percentile(lags, 95),
        "wait_p50_s": _percentile(waits, 50), "wait_p95_s": _percentile(waits, 95),
        "cpu_s": cpu_s, "cpu_ms_per_sample": 1000 * cpu_s / n if n else float("nan"),
        "cpu_cores": cpu_s / (w1 - w0),
        "model_ms": timing.cpu_ms if timing else float("nan"),
        "model_wall_ms": timing.wall_ms if timing else float("nan"),
        "model_batch": timing.batch if timing else 0, "model_what": timing.what if timing else "",
        "model_ms_batch1": timing1.cpu_ms if timing1 else float("nan"),
        "model_wall_ms_batch1": timing1.wall_ms if timing1 else float("nan"),
        "cpu_by_role_ms_per_sample": {k: round(1000 * v / n, 1) for k, v in roles.items()} if n else {},
        "rss_mb": rss_peak, "rss_now_mb": rss_now, "rss_model_mb": rss_model,
        "decode_modes": dict(modes), "dropped": dropped, "batches": dict(sorted(batches.items())),
        "mean_batch": mean_batch, "detector": repr(det), "backend": type(det).__name__,
        "model_file": str(getattr(getattr(det, "model_ref", None), "path", "")),
        "torch_loaded": "torch" in sys.modules, "load_s": load_s, "spec": asdict(spec),
    }


def main(argv: list[str] | None = None) -> int:
    """Run one measurement: ``python -m benchmarks.worker SPEC.json OUT.json``."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("spec", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args(argv)
    from monitor.memory import limit_malloc_arenas

    limit_malloc_arenas()  # as `run` does, so the figures are the daemon's
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = WorkerSpec(**json.loads(args.spec.read_text()))
    result = run_worker(spec)
    args.out.write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
