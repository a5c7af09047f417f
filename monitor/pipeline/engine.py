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

from ..annotate import annotate
from ..config import CameraConfig, LoadedConfig, SiteConfig
from ..config.reload_plan import ReloadPlan
from ..detect.base import Detector
from ..detect.detections import Detections
from ..metrics.publisher import SitePublisher
from ..metrics.registry import Metrics
from ..metrics.series import prune_series
from ..privacy.evidence import EVIDENCE_DIR, EvidenceStore, record_evidence
from ..schedule.calendar import SiteCalendar
from ..sources import CameraSource, Frame, open_source
from ..state.model import CameraReading, SiteSnapshot, ViewReading
from ..state.sessions import ServiceCompleted
from ..state.tracker import SiteTracker
from ..view.check import ViewMonitor
from .align import next_sample_at
from .analyse import Analyser
from .events import SiteTick, TickFanout
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
    view: ViewReading | None = None  # the view check as last applied to the site's zones


@dataclass
class SiteRuntime:
    """A site's state tracker, calendar and metrics publisher."""

    config: SiteConfig
    calendar: SiteCalendar
    tracker: SiteTracker
    publisher: SitePublisher
    lock: threading.Lock = field(default_factory=threading.Lock)
    snapshot: SiteSnapshot | None = None
    completed: list[ServiceCompleted] = field(default_factory=list)  # since the last tick (for subscribers)


class Engine:
    """Wires sources -> queue -> analyser -> trackers; a clock job publishes snapshots to metrics and alerts.

    ``retire`` and ``adopt`` apply a hot reload (see monitor.reload): cameras that did not change keep their
    source objects, threads and smoothing state. ``sites`` and ``cameras`` are replaced, never mutated, so
    readers on other threads iterate a consistent dict without a lock.
    """

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
        self.evidence = EvidenceStore(cfg.service.state_dir / EVIDENCE_DIR)
        self.views = ViewMonitor(cfg.service.state_dir)
        self.queue: SampleQueue[tuple[CameraRuntime, Frame]] = SampleQueue(
            per_camera=1, max_age=None, on_drop=self._dropped)
        self.scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4)},
                                             job_defaults={"coalesce": True, "max_instances": 1,
                                                           "misfire_grace_time": 5})
        # Guards changes of sites/cameras against the clock job and the worker's bookkeeping (not inference).
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, name="inference", daemon=True)
        self.started_at: float | None = None
        # Outputs that follow the clock (history, ...) subscribe here; see pipeline.events.
        self.ticks = TickFanout(on_drop=lambda name: metrics.tick_subscriber_dropped.labels(name).inc())
        for site in cfg.sites:
            self._add_site(site)

    # -- construction -------------------------------------------------------------------------------------------

    def _site_runtime(self, site: SiteConfig) -> SiteRuntime:
        cal = SiteCalendar(site)
        return SiteRuntime(site, cal, SiteTracker(site, self.loaded.config.smoothing, cal),
                           SitePublisher(site, self.metrics))

    def _add_site(self, site: SiteConfig) -> None:
        self.sites[site.id] = self._site_runtime(site)
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
        self._schedule_purge()
        self._worker.start()
        self.scheduler.start()
        log.info("engine started", extra={"sites": len(self.sites), "cameras": len(self.cameras)})

    def _schedule_camera(self, rt: CameraRuntime) -> None:
        self.scheduler.add_job(self.sample, "interval", args=[rt.camera.id], seconds=rt.camera.sample_every,
                               id=f"sample:{rt.camera.id}", replace_existing=True,
                               next_run_time=dt.datetime.now() + dt.timedelta(seconds=min(rt.camera.sample_every, 1)))

    def _schedule_purge(self) -> None:
        # Runs whether or not saving is enabled: pictures saved before it was switched off must still expire.
        every = self.loaded.config.service.evidence.purge_every
        self.scheduler.add_job(self.purge_evidence, "interval", seconds=every, id="evidence-purge",
                               replace_existing=True, next_run_time=dt.datetime.now())

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
        self.ticks.close()
        log.info("engine stopped")

    # -- hot reload ---------------------------------------------------------------------------------------------

    def detector_kinds(self) -> set[str]:
        """Return the detector kinds loaded in this process ('person', 'head')."""
        return set(self.analyser.detectors)

    def retire(self, plan: ReloadPlan) -> None:
        """Stop the cameras a reload removes or restarts and drop removed sites (first half of a reload)."""
        gone = set(plan.cameras_removed) | set(plan.cameras_restarted)
        with self._lock:
            old = [rt for cid, rt in self.cameras.items() if cid in gone]
            self.cameras = {cid: rt for cid, rt in self.cameras.items() if cid not in gone}
            for rt in old:
                self._unschedule(f"sample:{rt.camera.id}")
                self.queue.forget(rt.camera.id)
            dropped = [self.sites[sid] for sid in plan.sites_removed if sid in self.sites]
            self.sites = {sid: s for sid, s in self.sites.items() if sid not in plan.sites_removed}
            for site in dropped:
                site.publisher.forget()
        # Outside the lock: a source may take up to its read timeout to stop, the clock must keep ticking.
        stoppers = [threading.Thread(target=rt.source.stop, name=f"stop-{rt.camera.id}") for rt in old]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        for rt in old:
            log.info("camera stopped by reload", extra={"camera": rt.camera.id})

    def adopt(self, loaded: LoadedConfig, plan: ReloadPlan) -> None:
        """Take the new config: add and restart cameras, update changed ones, rebuild changed sites."""
        cfg = loaded.config
        new_cams = {c.id: (s, c) for s in cfg.sites for c in s.cameras if c.enabled}
        purge_changed = cfg.service.evidence.purge_every != self.loaded.config.service.evidence.purge_every
        with self._lock:
            self.loaded = loaded
            self.analyser.default_tiling = cfg.detector.tiling
            self.max_batch = cfg.detector.max_batch
            sites: dict[str, SiteRuntime] = {}
            for site in cfg.sites:
                current = self.sites.get(site.id)
                if current is None or site.id in plan.sites_rebuilt:
                    sites[site.id] = self._site_runtime(site)
                    continue
                if self._update_site(current, site):
                    # Zone labels (kind, counter) may have changed: the publisher caches them per site.
                    current.publisher = SitePublisher(site, self.metrics)
                sites[site.id] = current
            cameras = dict(self.cameras)
            for cid, (site, cam) in new_cams.items():
                rt = cameras.get(cid)
                if rt is None:
                    rt = CameraRuntime(site, cam, self._source_factory(cam))
                    cameras[cid] = rt
                    if self.started_at is not None:
                        rt.source.start()
                        self._schedule_camera(rt)
                    log.info("camera started by reload", extra={"camera": cid})
                else:
                    rt.site, rt.camera = site, cam
            self.sites, self.cameras = sites, cameras
            self.views.retain(cameras)
            prune_series(self.metrics, cfg)
            if purge_changed and self.started_at is not None:
                self._schedule_purge()

    @staticmethod
    def _update_site(current: SiteRuntime, site: SiteConfig) -> bool:
        """Give a kept site's tracker the cameras that changed; return whether any did."""
        before = {c.id: c for c in current.config.cameras}
        after = {c.id for c in site.cameras}
        changed = False
        with current.lock:
            for cid in before.keys() - after:
                current.tracker.forget_camera(cid)
                changed = True
            for cam in site.cameras:
                if before.get(cam.id) != cam:
                    current.tracker.reset_camera(cam.id, cam)  # new zones; their smoothing starts again
                    changed = True
            current.config = site
            current.snapshot = None
        return changed

    def _unschedule(self, job_id: str) -> None:
        try:
            self.scheduler.remove_job(job_id)
        except Exception:  # noqa: BLE001 - JobLookupError: never scheduled (engine not started)
            pass

    # -- sampling and inference ---------------------------------------------------------------------------------

    def sample(self, camera_id: str) -> bool:
        """Queue the camera's newest frame if it is new and fresh; return whether one was queued."""
        rt = self.cameras.get(camera_id)
        if rt is None:
            return False
        frame = rt.source.latest()
        if frame is None or frame.seq == rt.last_seq:
            self._follow_keyframes(rt, frame, new=False)
            return False
        if self.clock() - frame.ts > rt.camera.sample_every * rt.camera.stale_after:
            return False  # an old frame would pass for live data
        rt.last_seq = frame.seq
        self.queue.put(camera_id, (rt, frame))
        self._follow_keyframes(rt, frame, new=True)
        return True

    def _follow_keyframes(self, rt: CameraRuntime, frame: Frame | None, new: bool) -> None:
        """Move a keyframes-only camera's next sample to just after its next keyframe (see pipeline.align)."""
        if frame is None or rt.source.status().decode_mode != "keyframes":
            return
        now = self.clock()
        at = next_sample_at(now, frame.ts, new, rt.camera.sample_every)
        job = self.scheduler.get_job(f"sample:{rt.camera.id}") if at is not None else None
        if job is not None and at is not None:
            job.modify(next_run_time=dt.datetime.now().astimezone() + dt.timedelta(seconds=at - now))

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
        cams = [rt.camera for rt, _ in items]
        analyses = self.analyser.analyse([(cam, f.image) for cam, (_, f) in zip(cams, items, strict=True)])
        views = [self._check_view(cam, frame, a.detections) for cam, (_, frame), a in zip(cams, items, analyses,
                                                                                          strict=True)]
        now = self.clock()
        with self._lock:
            for cam, (rt, frame), a, view in zip(cams, items, analyses, views, strict=True):
                if self.cameras.get(cam.id) is not rt or rt.camera is not cam:
                    continue  # removed or changed by a reload while this frame was analysed: its counts are stale
                site = self.sites[rt.site.id]
                moved = view is not None and view.moved is True
                rt.view = view  # set with the zones' state, so a snapshot never shows one without the other
                with site.lock:
                    site.tracker.view_moved(cam.id, moved)
                    # A moved view puts people in the wrong zones: its counts are left out, not counted wrong.
                    done = [] if moved else site.tracker.observe(rt.camera.id, frame.ts, a.counts)
                    site.completed.extend(done)
                for s in done:
                    site.publisher.service_completed(s.counter, s.duration_s)
                rt.last = LastSample(frame, a.detections, a.counts)
                self.metrics.frames_sampled.labels(rt.site.id, rt.camera.id).inc()
                self.metrics.sample_lag_seconds.observe(max(0.0, now - frame.ts))

    def _check_view(self, cam: CameraConfig, frame: Frame, detections: dict[str, Detections]) -> ViewReading | None:
        """Compare the sample with the camera's reference view (see monitor.view); never fails the sample."""
        try:
            return self.views.observe(cam, frame.image, frame.ts, detections.values())
        except Exception:
            log.exception("camera view check failed", extra={"camera": cam.id})
            return self.views.reading(cam.id)

    # -- the state clock ----------------------------------------------------------------------------------------

    def tick(self) -> list[SiteSnapshot]:
        """Push camera health, snapshot every site, publish metrics and feed alerts."""
        now_ts = self.clock()
        at = dt.datetime.fromtimestamp(now_ts, dt.UTC)
        snaps = []
        ticks = []
        with self._lock:
            for site in self.sites.values():
                for rt in self.cameras.values():
                    if rt.site.id == site.config.id:
                        reading = self._camera_reading(rt)
                        with site.lock:
                            site.tracker.camera_health(rt.camera.id, reading)
                with site.lock:
                    snap = site.tracker.snapshot(at)
                    completed, site.completed = site.completed, []
                site.snapshot = snap
                site.publisher.publish(snap)
                notes: list[Any] = []
                if self.alerts is not None:
                    try:
                        notes = self.alerts.process(snap)
                    except Exception:
                        log.exception("alert evaluation failed", extra={"site": site.config.id})
                    else:
                        record_evidence(self.evidence, self.loaded.config.service.evidence, site.config, notes,
                                        lambda cid: self._picture(cid, now_ts), now_ts)
                snaps.append(snap)
                ticks.append(SiteTick(snap, tuple(completed), tuple(notes or ())))
        # Outside the lock, and only queued: a slow subscriber never holds up inference or the clock.
        self.ticks.publish(ticks)
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
        return CameraReading(sid, cid, bool(st.up), st.last_frame_ts, st.reconnects, error, st.decode_mode,
                             rt.view if rt.camera.view_check.enabled else None)

    # -- evidence -----------------------------------------------------------------------------------------------

    def _picture(self, camera_id: str, now_ts: float) -> np.ndarray | None:
        """Return the camera's last sampled frame annotated and blurred, None when there is no current one."""
        rt = self.cameras.get(camera_id)
        last = rt.last if rt is not None else None
        if rt is None or last is None or now_ts - last.frame.ts > rt.camera.sample_every * rt.camera.stale_after:
            return None  # an old picture would show another moment
        # Blurred always: evidence is kept on disk, raw pictures never are.
        return annotate(last.frame.image, last.detections.values(), rt.camera.zones, last.counts)

    def purge_evidence(self) -> int:
        """Delete evidence pictures past the retention period; return how many (the scheduled job)."""
        try:
            return self.evidence.purge(self.clock(), self.loaded.config.service.evidence.retention)
        except Exception:
            log.exception("evidence purge failed")
            return 0

    # -- queries ------------------------------------------------------------------------------------------------

    def snapshots(self) -> list[SiteSnapshot]:
        """Return the latest snapshot of every site (computed now if the clock has not run yet)."""
        out = []
        for site in list(self.sites.values()):
            snap = site.snapshot
            if snap is None:
                with site.lock:
                    snap = site.tracker.snapshot(dt.datetime.fromtimestamp(self.clock(), dt.UTC))
                site.snapshot = snap
            out.append(snap)
        return out

    def frame_image(self, camera_id: str) -> np.ndarray | None:
        """Return the camera's last analysed image, or None."""
        rt = self.cameras.get(camera_id)
        return rt.last.frame.image if rt is not None and rt.last is not None else None
