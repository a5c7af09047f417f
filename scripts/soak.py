#!/usr/bin/env python3
"""Soak test: N RTSP streams against a real `onestop-monitor run` for M minutes, watching for leaks.

Serves N looping H.264 mounts of the shared clip from one real GStreamer RTSP server on 127.0.0.1 (camera
credentials on), runs the service on them with zones, alert rules and a local webhook receiver, and prints every
minute the service's RSS, open file descriptors and threads plus frames analysed, samples dropped and cameras up.
At the end it compares the last minute with the end of the warm-up: growth of each figure must stay under 10%.

    .venv/bin/python scripts/soak.py                     # 8 streams, 30 minutes, 5 minutes of warm-up
    .venv/bin/python scripts/soak.py --minutes 3 --warmup 1 --allow-busy-cpu

Needs Debian's python3-gi + GStreamer RTSP server and ffmpeg (scripts/install-system-deps.sh). Exit status: 0
when every growth is under the limit, 1 when one is not, 2 on a setup problem, 3 when a training run holds the
CPU (pass --allow-busy-cpu to run anyway; the figures are then noisier). Not part of the default test run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from benchmarks.rtsp_server import RtspServer, gstreamer_problem  # noqa: E402
from tests.support.paths import ONE_BY_ONE  # noqa: E402
from tests.support.process import MonitorProcess, metric_value  # noqa: E402
from tests.support.webhook_receiver import WebhookReceiver  # noqa: E402

LIMIT = 0.10
FIGURES = ("rss_mb", "fds", "threads")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=30.0, help="how long to run (default 30)")
    p.add_argument("--warmup", type=float, default=5.0, help="minutes before the baseline is taken (default 5)")
    p.add_argument("--cameras", type=int, default=8, help="RTSP streams (default 8)")
    p.add_argument("--sample-every", default="2s", help="camera sample interval (default 2s)")
    p.add_argument("--imgsz", type=int, default=640, help="detector input size (default 640, the service's)")
    p.add_argument("--video", type=Path, default=ONE_BY_ONE, help="source footage (default: the shared clip)")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between reports (default 60)")
    p.add_argument("--json", type=Path, help="also write every report and the verdict to this file")
    p.add_argument("--allow-busy-cpu", action="store_true", help="run even while a training run is active")
    return p.parse_args(argv)


def training_running() -> bool:
    """Return True when a model training run (models/train_head.py) is using the shared CPU."""
    for proc in psutil.process_iter(["cmdline"]):
        if any("train_head.py" in part for part in proc.info["cmdline"] or []):
            return True
    return False


def make_clip(video: Path, out: Path) -> Path:
    """Re-encode 60 s of footage with a keyframe every second, as an IP camera sends it."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-t", "60", "-c:v", "libx264", "-g", "10",
                    "-bf", "0", "-pix_fmt", "yuv420p", "-an", str(out)], check=True, timeout=600)
    return out


def service_config(urls: dict[str, str], sample_every: str, imgsz: int, hook: str) -> dict[str, Any]:
    """Return a config: one site, a camera per stream with queue/service/staff zones and alert rules."""
    cameras, rules = [], []
    counters = [{"id": f"desk-{i}"} for i in range(1, len(urls) + 1)]
    for i, (cid, url) in enumerate(urls.items(), start=1):
        cameras.append({"id": cid, "url": url, "sample_every": sample_every, "zones": [
            {"id": f"{cid}-front", "kind": "service", "counter": f"desk-{i}",
             "polygon": [[0.35, 0.55], [0.85, 0.55], [0.85, 1], [0.35, 1]]},
            {"id": f"{cid}-queue", "kind": "queue", "polygon": [[0, 0.55], [0.35, 0.55], [0.35, 1], [0, 1]]},
            {"id": f"{cid}-staff", "kind": "staff", "counter": f"desk-{i}",
             "polygon": [[0.75, 0], [1, 0], [1, 0.5], [0.75, 0.5]]}]})
        rules += [{"kind": "camera_down", "camera": cid, "for": "30s"},
                  {"kind": "counter_unstaffed", "counter": f"desk-{i}", "for": "1m", "repeat_every": "5m"}]
    return {"detector": {"imgsz": imgsz},
            "sites": [{"id": "soak", "name": "Soak", "province": "Lào Cai", "hours": {"mon-sun": ["00:00-24:00"]},
                       "holidays": {"country": None}, "counters": counters, "cameras": cameras,
                       "alerts": {"webhooks": [{"id": "sup", "url": hook}], "rules": rules}}]}


def measure(proc: psutil.Process, svc: MonitorProcess, t0: float) -> dict[str, float]:
    """Return one report: the process's resources and the pipeline's counters."""
    text = svc.metrics()
    total = 0.0
    up = dropped = 0.0
    for line in text.splitlines():
        if line.startswith("onestop_frames_sampled_total{"):
            total += float(line.rsplit(" ", 1)[1])
        elif line.startswith("onestop_samples_dropped_total{"):
            dropped += float(line.rsplit(" ", 1)[1])
        elif line.startswith("onestop_camera_up{"):
            up += float(line.rsplit(" ", 1)[1])
    with proc.oneshot():
        rss, fds, threads = proc.memory_info().rss, proc.num_fds(), proc.num_threads()
        cpu = sum(proc.cpu_times()[:2])
    return {"minute": round((time.monotonic() - t0) / 60, 2), "rss_mb": round(rss / 2**20, 1), "fds": fds,
            "threads": threads, "cpu_s": round(cpu, 1), "frames": total, "dropped": dropped, "cameras_up": up,
            "queue_depth": metric_value(text, "onestop_webhook_queue_depth") or 0.0}


def verdict(reports: list[dict[str, float]], warmup: float) -> dict[str, Any]:
    """Compare the last report with the last one of the warm-up; growth per figure and pass/fail."""
    base = [r for r in reports if r["minute"] <= warmup + 0.1][-1]  # reports land a few seconds late
    last = reports[-1]
    growth = {k: (last[k] - base[k]) / base[k] if base[k] else 0.0 for k in FIGURES}
    return {"baseline_minute": base["minute"], "last_minute": last["minute"],
            "growth": {k: round(v, 4) for k, v in growth.items()}, "limit": LIMIT,
            "ok": all(v < LIMIT for v in growth.values())}


def main(argv: list[str] | None = None) -> int:
    """Run the soak; return the exit status."""
    args = parse_args(argv)
    if args.warmup >= args.minutes:
        print("--warmup must be shorter than --minutes", file=sys.stderr)
        return 2
    if training_running() and not args.allow_busy_cpu:
        print("a training run (train_head.py) is using the CPU; rerun later or pass --allow-busy-cpu",
              file=sys.stderr)
        return 3
    if problem := gstreamer_problem():
        print(problem, file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="onestop-soak-"))
    clip = make_clip(args.video, work / "clip.mp4")
    names = [f"cam{i}" for i in range(1, args.cameras + 1)]
    reports: list[dict[str, float]] = []
    with RtspServer(clip, name=names[0], user="soak", password="soak-pw-0123",
                    mounts={n: clip for n in names[1:]}) as rtsp, WebhookReceiver() as receiver:
        urls = {n: rtsp.url_for(n) for n in names}
        svc = MonitorProcess(service_config(urls, args.sample_every, args.imgsz, receiver.url()), work)
        svc.start(ready_timeout=300)
        proc = psutil.Process(svc.proc.pid)  # type: ignore[union-attr]
        t0 = time.monotonic()
        print(f"soak: {args.cameras} streams, sample every {args.sample_every}, {args.minutes:g} min "
              f"(warm-up {args.warmup:g}), service pid {proc.pid}, log {svc.log_path}", flush=True)
        print("minute  rss_mb  fds  threads  cpu_s  frames  dropped  up  webhook_queue", flush=True)
        try:
            next_at = t0
            while True:
                r = measure(proc, svc, t0)
                reports.append(r)
                print(f"{r['minute']:6.2f} {r['rss_mb']:7.1f} {r['fds']:4.0f} {r['threads']:8.0f} "
                      f"{r['cpu_s']:6.1f} {r['frames']:7.0f} {r['dropped']:8.0f} {r['cameras_up']:3.0f} "
                      f"{r['queue_depth']:14.0f}", flush=True)
                if r["minute"] >= args.minutes - 1e-6:
                    break
                next_at += args.interval
                time.sleep(max(0.0, min(next_at, t0 + args.minutes * 60) - time.monotonic()))
        finally:
            rc = svc.stop()
        webhooks = len(receiver.acked())
    result = verdict(reports, args.warmup)
    result.update(service_exit=rc, webhooks_delivered=webhooks, cameras=args.cameras,
                  sample_every=args.sample_every, minutes=args.minutes)
    print("growth after warm-up: " + ", ".join(f"{k} {v:+.1%}" for k, v in result["growth"].items())
          + f" (limit {LIMIT:.0%}): {'OK' if result['ok'] else 'FAILED'}")
    print(json.dumps(result))
    if args.json is not None:
        args.json.write_text(json.dumps({"reports": reports, "verdict": result}, indent=2))
    return 0 if result["ok"] and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
