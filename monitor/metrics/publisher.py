"""Copy site snapshots into the Prometheus metrics; unknown values are removed, never exported as zero."""

from __future__ import annotations

import datetime as dt

from ..config import SiteConfig
from ..state.model import COUNTER_STATES, CameraReading, SiteSnapshot
from ..state.sessions import DISCARD_REASONS
from .registry import Metrics
from .series import remove as _remove
from .series import remove_series


class SitePublisher:
    """Publishes one site's snapshots; remembers the previous tick to accumulate open/staffed seconds."""

    def __init__(self, site: SiteConfig, metrics: Metrics) -> None:
        self.site = site
        self.metrics = metrics
        self._last_at: dt.datetime | None = None
        self._last_open: bool | None = None
        self._last_staffed: dict[str, bool | None] = {}
        self._discarded_seen: dict[tuple[str, str], int] = {}
        # Only what the site has is published: a snapshot taken before a reload may still name what it removed.
        self._zone_labels: dict[str, tuple[str, ...]] = {}
        self._cameras = {c.id for c in site.cameras}
        self._counters = {c.id for c in site.counters}
        for cam in site.cameras:
            for z in cam.zones:
                self._zone_labels[z.id] = (site.id, cam.id, z.id, z.kind, z.counter or "")

    # Seconds counters integrate the state held since the previous tick; ticks further apart than this are gaps
    # (process paused, clock jump) and are not credited.
    MAX_TICK_S = 30.0

    def publish(self, snap: SiteSnapshot) -> None:
        """Update every metric of the site from a snapshot."""
        m, sid = self.metrics, self.site.id
        m.site_open.labels(sid, self.site.province).set(1 if snap.open else 0)
        self._accumulate(snap)
        for zone_id, z in snap.zones.items():
            labels = self._zone_labels.get(zone_id)
            if labels is None:
                continue
            if z.value is None:
                m.zone_known.labels(*labels).set(0)
                _remove(m.zone_people, labels)
                _remove(m.estimated_wait, (sid, z.camera, zone_id))
            else:
                m.zone_known.labels(*labels).set(1)
                m.zone_people.labels(*labels).set(z.value)
                if z.kind == "queue":
                    if z.estimated_wait_s is None:
                        _remove(m.estimated_wait, (sid, z.camera, zone_id))
                    else:
                        m.estimated_wait.labels(sid, z.camera, zone_id).set(z.estimated_wait_s)
        for cid, c in snap.counters.items():
            if cid not in self._counters:
                continue
            if c.staffed is None:
                _remove(m.counter_staffed, (sid, cid))
            else:
                m.counter_staffed.labels(sid, cid).set(1 if c.staffed else 0)
            for state in COUNTER_STATES:
                m.counter_state.labels(sid, cid, state).set(1 if c.state == state else 0)
            if c.session_s is None:
                _remove(m.counter_session_seconds, (sid, cid))
            else:
                m.counter_session_seconds.labels(sid, cid).set(c.session_s)
            self._count_discarded(cid, c.discarded)
            m.counter_open_seconds.labels(sid, cid)  # exported from the start, so rate() has a series
            m.counter_staffed_seconds.labels(sid, cid)
            m.served.labels(sid, cid)
        for cam_id, cam in snap.cameras.items():
            if cam_id not in self._cameras:
                continue
            m.camera_up.labels(sid, cam_id).set(1 if cam.up else 0)
            if cam.last_frame_ts is not None:
                m.camera_last_frame.labels(sid, cam_id).set(cam.last_frame_ts)
            if cam.decode_mode:
                for mode in ("keyframes", "all", "snapshot", "image"):
                    m.camera_decode_mode.labels(sid, cam_id, mode).set(1 if cam.decode_mode == mode else 0)
            self._publish_view(sid, cam_id, cam)

    def _publish_view(self, sid: str, cam_id: str, cam: CameraReading) -> None:
        """Export the view check; unknown parts (check off, no reference or comparison yet) are absent."""
        m, view = self.metrics, cam.view
        if view is None or view.shift_ratio is None:
            _remove(m.camera_view_shift_ratio, (sid, cam_id))
        else:
            m.camera_view_shift_ratio.labels(sid, cam_id).set(view.shift_ratio)
        if view is None or view.moved is None:
            _remove(m.camera_view_moved, (sid, cam_id))
        else:
            m.camera_view_moved.labels(sid, cam_id).set(1 if view.moved else 0)

    def _accumulate(self, snap: SiteSnapshot) -> None:
        m, sid = self.metrics, self.site.id
        if self._last_at is not None and self._last_open:
            gap = (snap.at - self._last_at).total_seconds()
            if 0 < gap <= self.MAX_TICK_S:
                for cid in snap.counters.keys() & self._counters:
                    m.counter_open_seconds.labels(sid, cid).inc(gap)
                    if self._last_staffed.get(cid):
                        m.counter_staffed_seconds.labels(sid, cid).inc(gap)
        self._last_at = snap.at
        self._last_open = snap.open
        self._last_staffed = {cid: c.staffed for cid, c in snap.counters.items()}

    def _count_discarded(self, counter: str, totals: dict[str, int]) -> None:
        """Add the growth of the tracker's cumulative discarded-visit totals to the metric."""
        for reason in DISCARD_REASONS:
            n = totals.get(reason, 0)
            seen = self._discarded_seen.get((counter, reason), 0)
            child = self.metrics.sessions_discarded.labels(self.site.id, counter, reason)
            if n > seen:
                child.inc(n - seen)
            # A lower total means the tracker started again (site rebuilt by a reload): count from there.
            self._discarded_seen[(counter, reason)] = n

    def service_completed(self, counter: str, duration_s: float) -> None:
        """Count one citizen served and record the service time."""
        self.metrics.served.labels(self.site.id, counter).inc()
        self.metrics.service_seconds.labels(self.site.id, counter).observe(duration_s)

    def forget(self) -> None:
        """Remove this site's labelled series (site removed by a reload)."""
        sid = self.site.id
        for metric in (self.metrics.zone_people, self.metrics.zone_known, self.metrics.counter_staffed,
                       self.metrics.counter_state, self.metrics.camera_up, self.metrics.camera_last_frame,
                       self.metrics.estimated_wait, self.metrics.camera_decode_mode,
                       self.metrics.counter_session_seconds, self.metrics.camera_view_shift_ratio,
                       self.metrics.camera_view_moved):
            remove_series(metric, lambda labels: labels.get("site") == sid)
