"""replay: process a video file as one camera, by video time, printing one JSON line per sample."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import parse_duration
from ..state.model import SiteSnapshot
from ..state.sessions import ServiceCompleted
from ._common import load_camera, load_detectors, site_of

if TYPE_CHECKING:
    from ..config import AppConfig
    from ..reports.recorder import ReplayHistory

NAME = "replay"
HELP = "process a video file as a configured camera (by video time) and print one JSON line per sample"
DESCRIPTION = """Process a video file as the given camera, as fast as possible, sampling by video time.

One JSON line per sample:
  {"t": 12.0, "zones": {"waiting": 3}, "counters": {"desk-1": {"staffed": true, "state": "serving"}}, ...}
t is seconds of video time; zones are smoothed counts (as the service computes them); --start is the
wall-clock time of the first frame, so office hours and alert rules apply (default: now). If the camera's
site has alert rules, they run on video time and their webhooks are delivered before the command exits.

At the end a summary goes to stderr: per counter the citizens served, mean and longest service, staffed share
of open time and front visits discarded (too short, no officer); per queue zone the mean and peak count. Long
videos show their progress on stderr every 10 s."""


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


def sample_line(t: float, snap: SiteSnapshot, people: int, raw: dict[str, int], camera_id: str) -> dict[str, Any]:
    """Return the JSON object printed for one sample."""
    return {
        "t": round(t, 3),
        "zones": {z.zone: _value(z.value) for z in snap.zones.values() if z.camera == camera_id},
        "counters": {c.counter: {"staffed": c.staffed, "state": c.state, "served": c.served_total,
                                 "discarded": c.discarded}
                     for c in snap.counters.values()},
        "people": people,
        "raw": raw,
        "open": snap.open,
    }


def _history(cfg: AppConfig, state_dir: Path) -> ReplayHistory:
    from ..reports.recorder import ReplayHistory  # SQLite and the report code only when --state-dir asks

    return ReplayHistory(cfg, state_dir)


@dataclass
class _CounterTally:
    open_s: float = 0.0
    staffed_s: float = 0.0
    durations: list[float] = field(default_factory=list)


@dataclass
class ReplaySummary:
    """What a replay saw, summed over its samples (open time only for staffing and queues)."""

    every_s: float
    counters: dict[str, _CounterTally] = field(default_factory=dict)
    queues: dict[str, list[float]] = field(default_factory=dict)
    last: SiteSnapshot | None = None

    def add(self, snap: SiteSnapshot, done: list[ServiceCompleted], camera_id: str) -> None:
        """Add one sample's snapshot and the services it completed."""
        self.last = snap
        for c in snap.counters.values():
            tally = self.counters.setdefault(c.counter, _CounterTally())
            if snap.open:
                tally.open_s += self.every_s
                tally.staffed_s += self.every_s if c.staffed else 0.0
        for s in done:
            self.counters.setdefault(s.counter, _CounterTally()).durations.append(s.duration_s)
        for z in snap.zones.values():
            if z.kind == "queue" and z.camera == camera_id and snap.open and z.value is not None:
                self.queues.setdefault(z.zone, []).append(z.value)

    def lines(self) -> list[str]:
        """Return the human-readable summary, one line per counter and queue zone."""
        out = []
        for cid, tally in self.counters.items():
            c = self.last.counters.get(cid) if self.last is not None else None
            discarded = c.discarded if c is not None else {}
            d = tally.durations
            service = f"mean {_fmt_s(sum(d) / len(d))}, longest {_fmt_s(max(d))}" if d else "no service"
            staffed = f"{100 * tally.staffed_s / tally.open_s:.0f}%" if tally.open_s else "closed throughout"
            if c is not None and not c.staff_zone:
                staffed = "unknown (no staff zone: every front visit counts as served)"
            gone = ", ".join(f"{r} {n}" for r, n in sorted(discarded.items()) if n) or "none"
            out.append(f"counter {cid}: served {len(d)} ({service}); staffed {staffed}; "
                       f"front visits discarded: {gone}")
        for zid, values in self.queues.items():
            out.append(f"queue {zid}: mean {sum(values) / len(values):.1f}, peak {max(values):g} people "
                       f"(open time)")
        return out


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def video_duration(path: Path) -> float | None:
    """Return the video's duration in seconds from its header, None when the file does not say."""
    import av

    try:
        with av.open(str(path)) as container:
            if container.duration:
                return float(container.duration) / 1_000_000  # av.time_base
            stream = container.streams.video[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except Exception:  # noqa: BLE001 - progress is a nicety; iter_video reports a broken file properly
        return None
    return None


class Progress:
    """Prints 'replay: 35% (12:20 of 35:00), 4.2x real time' to stderr at most every ``every_s`` wall seconds."""

    def __init__(self, total_s: float | None, every_s: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.total_s = total_s
        self.every_s = every_s
        self.clock = clock
        self.t0 = self._last = clock()

    def update(self, video_s: float) -> None:
        """Report progress if the last report is old enough."""
        now = self.clock()
        if now - self._last < self.every_s:
            return
        self._last = now
        speed = video_s / max(now - self.t0, 1e-9)
        if self.total_s:
            share = f"{100 * min(video_s / self.total_s, 1):.0f}% ({_clock(video_s)} of {_clock(self.total_s)})"
        else:
            share = _clock(video_s)
        print(f"replay: {share}, {speed:.1f}x real time", file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


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

    site = site_of(cfg, camera.id)
    state_dir = Path(args.state_dir) if args.state_dir else Path(tempfile.mkdtemp(prefix="onestop-replay-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    analyser = Analyser(load_detectors(loaded, [camera]), cfg.detector.tiling)
    tracker = SiteTracker(site, cfg.smoothing, SiteCalendar(site))
    alerts = None
    if not args.no_alerts and site.alerts.rules:
        from ..alerts.alerting import Alerting

        alerts = Alerting([site], state_dir, Metrics())
        alerts.start()
    history = _history(cfg, state_dir) if args.state_dir else None
    batch: list[tuple[float, np.ndarray]] = []
    base = start.timestamp()
    last_t: float | None = None
    summary = ReplaySummary(every)
    progress = Progress(video_duration(video))

    def flush_batch() -> None:
        for (t, _), a in zip(batch, analyser.analyse([(camera, f) for _, f in batch]), strict=True):
            ts = base + t
            tracker.camera_health(camera.id, CameraReading(site.id, camera.id, True, ts))
            done = tracker.observe(camera.id, ts, a.counts)
            snap = tracker.snapshot(dt.datetime.fromtimestamp(ts, dt.UTC))
            summary.add(snap, done, camera.id)
            notes = alerts.process(snap) if alerts is not None else []
            if history is not None:
                history.observe(snap, done, notes)
            print(json.dumps(sample_line(t, snap, a.people, a.counts, camera.id), ensure_ascii=False), flush=True)
            progress.update(t)
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
    else:
        for line in summary.lines():
            print(f"summary: {line}", file=sys.stderr)
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
