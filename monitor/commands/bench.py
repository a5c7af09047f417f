"""bench: measure cameras per machine; starts the benchmark harness (benchmarks/, beside the package)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from ..config.base import parse_duration

NAME = "bench"
HELP = "benchmark: N looping RTSP cameras through the real service; samples/s, lag, CPU, RSS vs the bare model"
DESCRIPTION = """Measure how many cameras this machine handles.

Re-encodes a clip once to --size (default 1280x720) H.264 with a 2 s GOP (cached), serves it as N looping RTSP
streams from one GStreamer RTSP server on 127.0.0.1 (no re-encoding; needs Debian's python3-gi and
gir1.2-gst-rtsp-server-1.0), runs the real service engine on them in its own process for a warm-up plus
--duration, times the bare model in the same process, then runs Ultralytics' solutions.QueueManager per-frame loop
on the same clip. Prints the figures, then one JSON line: cameras, interval_s, samples_per_s, lag_p95_s,
cpu_ms_per_sample, model_ms, ratio, rss_mb, queue_manager_fps (then details).

On the CPU the default backend is 'auto': the bundled OpenVINO export (models/exported), as the service runs it,
without torch. --source memory skips RTSP and decoding (in-memory decoded frames) to measure the inference
pipeline alone, e.g. a GPU's throughput with --device cuda --max-batch 256.

Example:
  onestop-monitor bench --cameras 16 --interval 2s --duration 60s
  onestop-monitor bench --cameras 64 --size 640x360       # cameras' analytics substreams"""


CHECKOUT = Path(__file__).resolve().parents[2]
"""The source checkout the package runs from (every install is an editable one); benchmarks/ lies beside it."""


def _default_clip() -> Path:
    shared = os.environ.get("ONESTOP_SHARED_DATA")
    root = Path(shared) if shared else CHECKOUT.parent / "shared" / "data"
    return root / "intel_sample_videos" / "one-by-one-person-detection.mp4"


def default_cache_dir() -> Path:
    """Return $XDG_CACHE_HOME/onestop-monitor/bench (~/.cache/... when unset)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "onestop-monitor" / "bench"


def _seconds(text: str) -> float:
    try:
        return float(parse_duration(text))
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} ({exc})") from None


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not (sep and w.isdigit() and h.isdigit()) or not (32 <= int(w) <= 7680 and 32 <= int(h) <= 4320):
        raise argparse.ArgumentTypeError(f"size must be WxH (e.g. 640x360, 1280x720), not {text!r}")
    if int(w) % 2 or int(h) % 2:
        raise argparse.ArgumentTypeError(f"size {text!r}: H.264 needs an even width and height")
    return int(w), int(h)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("--cameras", type=int, default=16, help="number of RTSP streams (default 16)")
    p.add_argument("--interval", type=_seconds, default=2.0, help="sample interval per camera (default 2s)")
    p.add_argument("--duration", type=_seconds, default=60.0, help="measured time (default 60s)")
    p.add_argument("--warmup", type=_seconds, default=15.0,
                   help="time before measuring: connect, learn the GOP, switch to keyframes (default 15s)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--backend", default="auto", choices=["auto", "ultralytics", "openvino", "onnxruntime", "torch"],
                   help="detector backend (default auto: OpenVINO on CPU, torch with GPU pre/post on CUDA)")
    p.add_argument("--model", default="yolo11n-pose.pt", help="person model (default yolo11n-pose.pt)")
    p.add_argument("--imgsz", type=int, default=640, help="inference size (default 640)")
    p.add_argument("--max-batch", type=int, help="detector.max_batch (default 8 on CPU, 256 on CUDA)")
    p.add_argument("--half", action="store_true", help="fp16 (CUDA)")
    p.add_argument("--source", choices=["rtsp", "memory"], default="rtsp",
                   help="rtsp: real streams (default); memory: decoded frames in memory (pipeline alone)")
    p.add_argument("--clip", type=Path, default=None, help="source clip (default the shared "
                   "intel_sample_videos/one-by-one-person-detection.mp4)")
    p.add_argument("--cache-dir", type=Path, default=default_cache_dir(),
                   help=f"re-encoded clip and exports (default {default_cache_dir()})")
    p.add_argument("--size", type=_size, default=(1280, 720), metavar="WxH",
                   help="stream size (default 1280x720, a main stream; 640x360 measures analytics substreams)")
    p.add_argument("--queue-manager-seconds", type=_seconds, default=20.0,
                   help="how long to run the QueueManager loop (default 20s; 0 skips it)")


def run(args: argparse.Namespace) -> int:
    """Run the benchmark harness in its own process; exit 2 when it cannot run here, 1 when a step fails."""
    from ..detect.choose import is_cuda

    if args.cameras < 1:
        print("bench: --cameras must be >= 1", file=sys.stderr)
        return 2
    if not (CHECKOUT / "benchmarks" / "__main__.py").is_file():
        print(f"bench: the benchmark harness ships with the source checkout, not the package: benchmarks/ is not "
              f"beside {CHECKOUT / 'monitor'}", file=sys.stderr)
        return 2
    options = {"cameras": args.cameras, "interval_s": args.interval, "duration_s": args.duration,
               "warmup_s": args.warmup, "device": args.device, "backend": args.backend, "model": args.model,
               "imgsz": args.imgsz, "max_batch": args.max_batch or (256 if is_cuda(args.device) else 8),
               "half": args.half, "source": args.source, "clip": str((args.clip or _default_clip()).resolve()),
               "cache_dir": str(args.cache_dir.resolve()), "queue_manager_s": args.queue_manager_seconds,
               "size": list(args.size)}
    path = os.pathsep.join(p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, "-m", "benchmarks", json.dumps(options)],
                          env={**os.environ, "PYTHONPATH": path}, check=False).returncode
