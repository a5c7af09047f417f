"""Benchmark report: the human-readable figures, then one JSON line with the headline keys."""

from __future__ import annotations

import json
import math
from typing import Any

#: Keys of the final JSON line, in order (extra keys follow them).
KEYS = ("cameras", "interval_s", "samples_per_s", "lag_p95_s", "cpu_ms_per_sample", "model_ms", "ratio", "rss_mb",
        "queue_manager_fps")


def _r(x: Any, digits: int = 3) -> Any:
    """Round floats for the report; NaN (not measured) becomes None, JSON null."""
    if isinstance(x, float):
        return None if math.isnan(x) else round(x, digits)
    return x


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON-line figures: the headline keys first, then details (extra keys may be added later)."""
    cameras = int(result["cameras"])
    cpu, model = float(result["cpu_ms_per_sample"]), float(result["model_ms"])
    qm = result.get("queue_manager") or {}
    rss_per_camera = (float(result["rss_mb"]) - float(result["rss_model_mb"])) / max(1, cameras)
    out: dict[str, Any] = {
        "cameras": cameras,
        "interval_s": _r(float(result["interval_s"])),
        "samples_per_s": _r(float(result["samples_per_s"])),
        "lag_p95_s": _r(float(result["lag_p95_s"])),
        "cpu_ms_per_sample": _r(cpu, 1),
        "model_ms": _r(model, 1),
        "ratio": _r(cpu / model if model > 0 else float("nan"), 2),
        "rss_mb": _r(float(result["rss_mb"]), 1),
        "queue_manager_fps": _r(float(qm["fps"]), 2) if qm else None,
        "lag_p50_s": _r(float(result["lag_p50_s"])),
        "wait_p95_s": _r(float(result["wait_p95_s"])),
        "expected_samples_per_s": _r(float(result["expected_per_s"])),
        "dropped": int(result.get("dropped", 0)),
        "rss_per_camera_mb": _r(rss_per_camera, 1),
        "model_wall_ms": _r(float(result["model_wall_ms"]), 1),
        "model_batch": int(result.get("model_batch", 1)),
        "cpu_cores": _r(float(result["cpu_cores"]), 2),
        "server_cores": _r(float(result.get("server_cores", 0.0)), 2),
        "backend": result.get("backend"),
        "model_file": result.get("model_file"),
        "size": result.get("size"),
        "device": result.get("spec", {}).get("device"),
        "source": result.get("spec", {}).get("source"),
        "decode_modes": result.get("decode_modes"),
    }
    return out


def render(result: dict[str, Any]) -> list[str]:
    """Return the report lines: one figure per line, then the JSON line last."""
    s = summary(result)
    qm = result.get("queue_manager") or {}
    spec = result.get("spec", {})
    modes = ", ".join(f"{k} {v}" for k, v in sorted((result.get("decode_modes") or {}).items()))
    batches = ", ".join(f"{k}x{v}" for k, v in (result.get("batches") or {}).items())
    lines = [
        f"backend            {result.get('detector')} on {spec.get('device')}; torch imported by the service: "
        f"{'yes' if result.get('torch_loaded') else 'no'}",
        f"cameras            {s['cameras']} ({spec.get('source')}; decode modes: {modes or 'n/a'})",
        f"sample interval    {s['interval_s']} s, measured over {result.get('duration_s')} s after "
        f"{spec.get('warmup_s')} s warm-up",
        f"samples/s          {s['samples_per_s']} (expected {s['expected_samples_per_s']}; dropped "
        f"{s['dropped']}; batches size x count: {batches or 'none'})",
        f"sample lag         p50 {s['lag_p50_s']} s, p95 {s['lag_p95_s']} s (frame arrival -> counts applied); "
        f"queue+inference p95 {s['wait_p95_s']} s",
        f"CPU per sample     {s['cpu_ms_per_sample']} ms (service process: {s['cpu_cores']} cores busy; RTSP "
        f"server: {s['server_cores']} cores)",
        "CPU per sample by thread role (ms): " + ", ".join(
            f"{k} {v}" for k, v in (result.get("cpu_by_role_ms_per_sample") or {}).items()),
        f"bare model         {s['model_ms']} ms CPU per frame ({s['model_wall_ms']} ms wall) at batch "
        f"{s['model_batch']}: {result.get('model_what')}",
        f"ratio              {s['ratio']} (CPU per sample / bare-model CPU per frame)",
        f"peak RSS           {s['rss_mb']} MB (after model load {_r(float(result['rss_model_mb']), 1)} MB)",
        f"RSS per camera     {s['rss_per_camera_mb']} MB",
    ]
    if qm:
        lines.append(f"QueueManager       {s['queue_manager_fps']} frames/s (Ultralytics solutions.QueueManager "
                     f"per-frame loop, {qm.get('model')}, {qm.get('width')}x{qm.get('height')}, "
                     f"{qm.get('device')}, {qm.get('frames')} frames)")
    else:
        lines.append("QueueManager       not run")
    lines.append(json.dumps(s, separators=(", ", ": ")))
    return lines
