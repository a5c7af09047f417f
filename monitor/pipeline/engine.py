"""The running service: sources sampled on schedule, one inference worker, per-site state, metrics and alerts."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from ..config import CameraConfig, LoadedConfig, SiteConfig
from ..detect.base import Detector
from ..detect.detections import Detections
from ..metrics.publisher import SitePublisher
from ..metrics.registry import Metrics
from ..schedule.calendar import SiteCalendar
from ..sources import CameraSource, Frame, open_source
from ..state.model import CameraReading, SiteSnapshot
from ..state.tracker import SiteTracker
from .analyse import Analyser
from .queue import SampleQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LastSample:
    """The newest analysed frame of a camera, kept in memory only (for snapshots)."""

    frame: Frame
    detections: dict[str, Detections]
    counts: dict[str, int]


@dataclass
class CameraRuntime:
    """A camera's live parts: its config, source, and what it last sampled."""

    site: SiteConfig
    camera: CameraConfig
    source: CameraSource
    last_seq: int = -1
    last: LastSample | None = None
    errors_seen: dict[str, int] = field(default_factory=dict)
    reconnects_seen: int = 0


@dataclass
class SiteRuntime:
    """A site's state tracker, calendar and metrics publisher."""

    config: SiteConfig
    calendar: SiteCalendar
    tracker: SiteTracker
    publisher: SitePublisher
    lock: threading.Lock = field(default_factory=threading.Lock)
    snapshot: SiteSnapshot | None = None


class Engine:
    """Wires sources -> queue -> analyser -> trackers; a clock job publishes snapshots to metrics and alerts."""

    def __init__(self, loaded: LoadedConfig, detectors: dict[str, Detector], metrics: Metrics,
                 alerts: Any = None, clock: Callable[[], float] = time.time,
                 source_factory: Callable[[CameraConfig], CameraSource] = open_source) -> None:
        self.loaded = loaded
        self.metrics = metrics
        self.alerts = alerts
        self.clock = clock
        self._source_factory = source_factory
        cfg = loaded.config
        self.analyser = Analyser(detectors, cfg.detector.tiling)
        self.max_batch = cfg.detector.max_batch
        self.sites: dict[str, SiteRuntime] = {}
        self.cameras: dict[str, CameraRuntime] = {}
        self.queue: SampleQueue[tuple[CameraRuntime, Frame]] = SampleQueue(
            per_camera=1, max_age=None, on_drop=self._dropped)
        self.scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4)},
                                             job_defaults={"coalesce": True, "max_instances": 1,
                                                           "misfire_grace_time": 5})
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, name="inference", daemon=True)
        self.started_at: float | None = None
        for site in cfg.sites:
            self._add_site(site)

    # -- construction -------------------------------------------------------------------------------------------

    def _add_site(self, site: SiteConfig) -> None:
        cal = SiteCalendar(site)
        self.sites[site.id] = SiteRuntime(site, cal, SiteTracker(site, self.loaded.config.smoothing, cal),
                                          SitePublisher(site, self.metrics))
        for cam in site.cameras:
            if cam.enabled:
                self.cameras[cam.id] = CameraRuntime(site, cam, self._source_factory(cam))

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open every camera, start the inference worker and the schedules."""
        self.started_at = self.clock()
        for rt in self.cameras.values():
            rt.source.start()
            self._schedule_camera(rt)
        self.scheduler.add_job(self.tick, "interval", seconds=1.0, id="clock", next_run_time=dt.datetime.now())
        self._worker.start()
        self.scheduler.start()
        log.info("engine started", extra={"sites": len(self.sites), "cameras": len(self.cameras)})

    def _schedule_camera(self, rt: CameraRuntime) -> None:
        self.scheduler.add_job(self.sample, "interval", args=[rt.camera.id], seconds=rt.camera.sample_every,
                               id=f"sample:{rt.camera.id}", replace_existing=True,
                               next_run_time=dt.datetime.now() + dt.timedelta(seconds=min(rt.camera.sample_every, 1)))

    def stop(self) -> None:
        """Stop schedules, the worker and every source; safe to call twice."""
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            self.scheduler.shutdown(wait=True)
        except Exception:  # noqa: BLE001 - not started
            pass
        self.queue.close()
        if self._worker.is_alive():
            self._worker.join(timeout=30)
        for rt in self.cameras.values():
            rt.source.stop()
        log.info("engine stopped")

    # -- sampling and inference ---------------------------------------------------------------------------------

    def sample(self, camera_id: str) -> bool:
        """Queue the camera's newest frame if it is new and fresh; return whether one was queued."""
        rt = self.cameras.get(camera_id)
        if rt is None:
            return False
        frame = rt.source.latest()
        if frame is None or frame.seq == rt.last_seq:
            return False
        if self.clock() - frame.ts > rt.camera.sample_every * rt.camera.stale_after:
            return False  # an old frame would pass for live data
        rt.last_seq = frame.seq
        self.queue.put(camera_id, (rt, frame))
        return True

    def _dropped(self, camera: str, reason: str) -> None:
        rt = self.cameras.get(camera)
        if rt is not None:
            self.metrics.samples_dropped.labels(rt.site.id, camera).inc()
        # Counted in onestop_samples_dropped_total; a log line per drop would flood the log under overload.
        log.debug("sample dropped", extra={"camera": camera, "reason": reason})

    def _work(self) -> None:
        while not self._stop.is_set():
            batch = self.queue.take(self.max_batch, timeout=0.5)
            if batch:
                try:
                    self.process([q.item for q in batch])
                except Exception:
                    log.exception("inference failed; batch skipped", extra={"frames": len(batch)})

    def process(self, items: list[tuple[CameraRuntime, Frame]]) -> None:
        """Analyse frames and feed the counts to their sites' trackers."""
        analyses = self.analyser.analyse([(rt.camera, f.image) for rt, f in items])
        now = self.clock()
        for (rt, frame), a in zip(items, analyses, strict=True):
            site = self.sites[rt.site.id]
            with site.lock:
                done = site.tracker.observe(rt.camera.id, frame.ts, a.counts)
            for s in done:
                site.publisher.service_completed(s.counter, s.duration_s)
            rt.last = LastSample(frame, a.detections, a.counts)
            self.metrics.frames_sampled.labels(rt.site.id, rt.camera.id).inc()
            self.metrics.sample_lag_seconds.observe(max(0.0, now - frame.ts))

    # -- the state clock ----------------------------------------------------------------------------------------

    def tick(self) -> list[SiteSnapshot]:
        """Push camera health, snapshot every site, publish metrics and feed alerts."""
        now_ts = self.clock()
        at = dt.datetime.fromtimestamp(now_ts, dt.UTC)
        snaps = []
        for site in self.sites.values():
            for rt in self.cameras.values():
                if rt.site.id == site.config.id:
                    reading = self._camera_reading(rt)
                    with site.lock:
                        site.tracker.camera_health(rt.camera.id, reading)
            with site.lock:
                snap = site.tracker.snapshot(at)
            site.snapshot = snap
            site.publisher.publish(snap)
            if self.alerts is not None:
                try:
                    self.alerts.process(snap)
                except Exception:
                    log.exception("alert evaluation failed", extra={"site": site.config.id})
            snaps.append(snap)
        return snaps

    def _camera_reading(self, rt: CameraRuntime) -> CameraReading:
        st = rt.source.status()
        m, sid, cid = self.metrics, rt.site.id, rt.camera.id
        if st.reconnects > rt.reconnects_seen:
            m.camera_reconnects.labels(sid, cid).inc(st.reconnects - rt.reconnects_seen)
            rt.reconnects_seen = st.reconnects
        for reason, n in st.errors.items():
            seen = rt.errors_seen.get(reason, 0)
            if n > seen:
                m.camera_errors.labels(sid, cid, reason).inc(n - seen)
                rt.errors_seen[reason] = n
        error = str(st.last_error) if st.last_error is not None else None
        return CameraReading(sid, cid, bool(st.up), st.last_frame_ts, st.reconnects, error, st.decode_mode)

    # -- queries ------------------------------------------------------------------------------------------------

    def snapshots(self) -> list[SiteSnapshot]:
        """Return the latest snapshot of every site (computed now if the clock has not run yet)."""
        out = []
        for site in self.sites.values():
            if site.snapshot is None:
                with site.lock:
                    site.snapshot = site.tracker.snapshot(dt.datetime.fromtimestamp(self.clock(), dt.UTC))
            out.append(site.snapshot)
        return out

    def frame_image(self, camera_id: str) -> np.ndarray | None:
        """Return the camera's last analysed image, or None."""
        rt = self.cameras.get(camera_id)
        return rt.last.frame.image if rt is not None and rt.last is not None else None
