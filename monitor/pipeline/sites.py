"""Site states: every site's tracker and every camera's runtime, fed by the worker, read by the clock, one lock."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..annotate import annotate
from ..config import CameraConfig, LoadedConfig, SiteConfig, SmoothingConfig
from ..config.reload_plan import ReloadPlan
from ..metrics.registry import Metrics
from ..schedule.calendar import SiteCalendar
from ..sources import CameraSource, Frame
from ..state.model import CameraReading, SiteSnapshot, ViewReading
from ..state.sessions import ServiceCompleted
from ..state.tracker import SiteTracker
from .analyse import Analysis
from .events import SiteTick
from .readonly import CameraSample, LastSample

log = logging.getLogger(__name__)

SourceFactory = Callable[[CameraConfig], CameraSource]


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
    """A site's state tracker and its latest snapshot."""

    config: SiteConfig
    tracker: SiteTracker
    snapshot: SiteSnapshot | None = None
    completed: list[ServiceCompleted] = field(default_factory=list)  # since the last tick (for subscribers)


def _site_runtime(site: SiteConfig, smoothing: SmoothingConfig) -> SiteRuntime:
    return SiteRuntime(site, SiteTracker(site, smoothing, SiteCalendar(site)))


class SiteStates:
    """The sites' trackers and the cameras' runtimes, behind one lock (the trackers also lock themselves).

    ``sites`` and ``cameras`` are replaced, never mutated, so a reader on another thread iterates a consistent
    dict without the lock. The inference worker feeds ``apply``; the clock takes ``tick``; a reload calls
    ``retire`` and ``adopt``, which return the camera runtimes whose sources must stop or start.
    """

    def __init__(self, loaded: LoadedConfig, metrics: Metrics, source_factory: SourceFactory,
                 clock: Callable[[], float]) -> None:
        """Build a tracker per site and a runtime (with its unopened source) per enabled camera."""
        self.metrics = metrics
        self.clock = clock
        self._source_factory = source_factory
        # Guards changes of sites/cameras and each site's tracker + completed list against the clock and the worker.
        self.lock = threading.RLock()
        cfg = loaded.config
        self.sites: dict[str, SiteRuntime] = {s.id: _site_runtime(s, cfg.smoothing) for s in cfg.sites}
        self.cameras: dict[str, CameraRuntime] = {
            c.id: CameraRuntime(s, c, source_factory(c)) for s in cfg.sites for c in s.cameras if c.enabled}

    # -- the worker and the clock -------------------------------------------------------------------------------

    def apply(self, rt: CameraRuntime, camera: CameraConfig, frame: Frame, analysis: Analysis,
              view: ViewReading | None) -> bool:
        """Feed one analysed frame to its site; False (and nothing changed) when a reload replaced the camera."""
        with self.lock:
            if self.cameras.get(camera.id) is not rt or rt.camera is not camera:
                return False  # removed or changed by a reload while this frame was analysed: its counts are stale
            site = self.sites[rt.site.id]
            moved = view is not None and view.moved is True
            rt.view = view  # set with the zones' state, so a snapshot never shows one without the other
            site.tracker.view_moved(camera.id, moved)
            if not moved:  # a moved view puts people in the wrong zones: its counts are left out, not counted wrong
                site.completed.extend(site.tracker.observe(camera.id, frame.ts, analysis.counts))
            rt.last = LastSample(frame, analysis.detections, analysis.counts)
        return True

    def tick(self, now_ts: float) -> list[SiteTick]:
        """Push camera health into the trackers and take every site's snapshot and completed services."""
        at = dt.datetime.fromtimestamp(now_ts, dt.UTC)
        ticks = []
        with self.lock:
            by_site: dict[str, list[CameraRuntime]] = {}
            for rt in self.cameras.values():
                by_site.setdefault(rt.site.id, []).append(rt)
            for sid, site in self.sites.items():
                for rt in by_site.get(sid, ()):
                    site.tracker.camera_health(rt.camera.id, self._camera_reading(rt))
                snap = site.tracker.snapshot(at)
                completed, site.completed = site.completed, []
                site.snapshot = snap
                ticks.append(SiteTick(snap, tuple(completed)))
        return ticks

    def _camera_reading(self, rt: CameraRuntime) -> CameraReading:
        """Read the source's health; count its new reconnects and errors into the metrics."""
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

    # -- readers --------------------------------------------------------------------------------------------------

    def snapshots(self) -> list[SiteSnapshot]:
        """Return the latest snapshot of every site (computed now for a site the clock has not reached yet)."""
        out = []
        for site in list(self.sites.values()):
            snap = site.snapshot
            if snap is None:
                snap = site.snapshot = site.tracker.snapshot(dt.datetime.fromtimestamp(self.clock(), dt.UTC))
            out.append(snap)
        return out

    def camera(self, camera_id: str) -> CameraSample | None:
        """Return a running camera's config and last sample."""
        rt = self.cameras.get(camera_id)
        return None if rt is None else CameraSample(rt.site.id, rt.camera, rt.last)

    def site_config(self, site_id: str) -> SiteConfig | None:
        """Return the running config of a site."""
        site = self.sites.get(site_id)
        return None if site is None else site.config

    def picture(self, camera_id: str, at_ts: float) -> np.ndarray | None:
        """Return the camera's last sample annotated and blurred, None when it is not of the moment ``at_ts``."""
        rt = self.cameras.get(camera_id)
        last = rt.last if rt is not None else None
        if rt is None or last is None or abs(at_ts - last.frame.ts) > rt.camera.sample_every * rt.camera.stale_after:
            return None  # a picture of another moment would be false evidence
        # Blurred always: evidence is kept on disk, raw pictures never are.
        return annotate(last.frame.image, last.detections.values(), rt.camera.zones, last.counts)

    # -- hot reload -----------------------------------------------------------------------------------------------

    def retire(self, plan: ReloadPlan) -> list[CameraRuntime]:
        """Drop the cameras a reload removes or restarts, and removed sites; return the dropped cameras."""
        gone = set(plan.cameras_removed) | set(plan.cameras_restarted)
        with self.lock:
            old = [rt for cid, rt in self.cameras.items() if cid in gone]
            self.cameras = {cid: rt for cid, rt in self.cameras.items() if cid not in gone}
            self.sites = {sid: s for sid, s in self.sites.items() if sid not in plan.sites_removed}
        return old

    def adopt(self, loaded: LoadedConfig, plan: ReloadPlan) -> list[CameraRuntime]:
        """Take a new config: rebuild changed sites, update kept ones; return the new cameras (not started)."""
        cfg = loaded.config
        with self.lock:
            sites: dict[str, SiteRuntime] = {}
            for site in cfg.sites:
                current = self.sites.get(site.id)
                if current is None or site.id in plan.sites_rebuilt:
                    sites[site.id] = _site_runtime(site, cfg.smoothing)
                else:
                    self._update_site(current, site)
                    sites[site.id] = current
            cameras = dict(self.cameras)
            new = []
            for site in cfg.sites:
                for cam in site.cameras:
                    if not cam.enabled:
                        continue
                    rt = cameras.get(cam.id)
                    if rt is None:
                        cameras[cam.id] = rt = CameraRuntime(site, cam, self._source_factory(cam))
                        new.append(rt)
                    else:
                        rt.site, rt.camera = site, cam
            self.sites, self.cameras = sites, cameras
        return new

    @staticmethod
    def _update_site(current: SiteRuntime, site: SiteConfig) -> None:
        """Give a kept site's tracker the cameras that changed (called with the lock held)."""
        before = {c.id: c for c in current.config.cameras}
        for cid in before.keys() - {c.id for c in site.cameras}:
            current.tracker.forget_camera(cid)
        for cam in site.cameras:
            if before.get(cam.id) != cam:
                current.tracker.reset_camera(cam.id, cam)  # new zones; their smoothing starts again
        current.config = site
        current.snapshot = None
