"""replay: process a video file as one camera, by video time, printing one JSON line per sample."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..config import parse_duration
from ._common import load_camera, load_detectors, site_of

NAME = "replay"
HELP = "process a video file as a configured camera (by video time) and print one JSON line per sample"
DESCRIPTION = """Process a video file as the given camera, as fast as possible, sampling by video time.

One JSON line per sample:
  {"t": 12.0, "zones": {"waiting": 3}, "counters": {"desk-1": {"staffed": true, "state": "serving"}}, ...}
t is seconds of video time; zones are smoothed counts (as the service computes them); --start is the
wall-clock time of the first frame, so office hours and alert rules apply (default: now). If the camera's
site has alert rules, they run on video time and their webhooks are delivered before the command exits."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("--config", "-c", required=True, help="YAML config file")
    p.add_argument("--camera", required=True, help="camera id whose zones apply")
    p.add_argument("--every", help="sample interval in video time, e.g. 1s (default: the camera's sample_every)")
    p.add_argument("--start", help="wall-clock time of the first frame, ISO 8601 with offset, "
                                   "e.g. 2026-12-01T09:00:00+07:00 (default: now)")
    p.add_argument("--state-dir", help="where the alert outbox lives (default: a fresh temporary folder); "
                                       "given, the run's history is recorded there on video time (for `report`)")
    p.add_argument("--no-alerts", action="store_true", help="do not evaluate alert rules or send webhooks")
    p.add_argument("--flush-timeout", default="60s", help="how long to wait for webhook delivery at the end")
    p.add_argument("video", help="video file")


def _value(v: float | None) -> float | int | None:
    return None if v is None else (int(v) if float(v).is_integer() else round(v, 2))


def sample_line(t: float, snap: Any, people: int, raw: dict[str, int], camera_id: str) -> dict[str, Any]:
    """Return the JSON object printed for one sample."""
    return {
        "t": round(t, 3),
        "zones": {z.zone: _value(z.value) for z in snap.zones.values() if z.camera == camera_id},
        "counters": {c.counter: {"staffed": c.staffed, "state": c.state, "served": c.served_total}
                     for c in snap.counters.values()},
        "people": people,
        "raw": raw,
        "open": snap.open,
    }


def _history(cfg: Any, state_dir: Path) -> Any:
    from ..reports.recorder import ReplayHistory

    return ReplayHistory(cfg, state_dir)


def run(args: argparse.Namespace) -> int:
    """Replay the video; return 0, or 1/2 on bad input."""
    found = load_camera(args.config, args.camera)
    if found is None:
        return 2
    loaded, camera = found
    cfg = loaded.config
    video = Path(args.video)
    if not video.is_file():
        print(f"no such video file: {video}", file=sys.stderr)
        return 2
    try:
        every = parse_duration(args.every) if args.every else camera.sample_every
        start = dt.datetime.fromisoformat(args.start) if args.start else dt.datetime.now(dt.UTC)
        if start.tzinfo is None:
            raise ValueError("--start needs a UTC offset, e.g. 2026-12-01T09:00:00+07:00")
        if every <= 0:
            raise ValueError("--every must be positive")
    except ValueError as exc:
        print(f"bad argument: {exc}", file=sys.stderr)
        return 2

    from ..metrics import Metrics
    from ..pipeline.analyse import Analyser
    from ..schedule.calendar import SiteCalendar
    from ..sources import iter_video
    from ..state.model import CameraReading
    from ..state.tracker import SiteTracker

    site: Any = site_of(cfg, camera.id)
    state_dir = Path(args.state_dir) if args.state_dir else Path(tempfile.mkdtemp(prefix="onestop-replay-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    analyser = Analyser(load_detectors(loaded, [camera]), cfg.detector.tiling)
    tracker = SiteTracker(site, cfg.smoothing, SiteCalendar(site))
    alerts = None
    if not args.no_alerts and site.alerts.rules:
        from ..alerts.service import AlertService

        alerts = AlertService([site], state_dir, Metrics())
        alerts.start()
    history = _history(cfg, state_dir) if args.state_dir else None
    batch: list[tuple[float, Any]] = []
    base = start.timestamp()
    last_t: float | None = None

    def flush_batch() -> None:
        for (t, _), a in zip(batch, analyser.analyse([(camera, f) for _, f in batch]), strict=True):
            ts = base + t
            tracker.camera_health(camera.id, CameraReading(site.id, camera.id, True, ts))
            done = tracker.observe(camera.id, ts, a.counts)
            snap = tracker.snapshot(dt.datetime.fromtimestamp(ts, dt.UTC))
            notes = alerts.process(snap) if alerts is not None else []
            if history is not None:
                history.observe(snap, done, notes)
            print(json.dumps(sample_line(t, snap, a.people, a.counts, camera.id), ensure_ascii=False), flush=True)
        batch.clear()

    try:
        for t, frame in iter_video(video, every):
            batch.append((t, frame))
            last_t = t
            if len(batch) >= cfg.detector.max_batch:
                flush_batch()
        flush_batch()
    except Exception as exc:  # noqa: BLE001 - a broken file is reported, not a traceback
        print(f"cannot read video {video}: {exc}", file=sys.stderr)
        return 1
    finally:
        if history is not None:
            # The last sample holds for one interval, so N samples cover N x every seconds of video.
            history.close(base + (last_t or 0.0) + every)
        if alerts is not None:
            delivered = alerts.flush(parse_duration(args.flush_timeout))
            alerts.stop()
            if not delivered:
                print(f"some webhooks are not delivered yet; they stay in the outbox at {state_dir}",
                      file=sys.stderr)
    return 0
