"""Per-site state: smoothed zone counts, counter states, service sessions, and a snapshot of it all."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from monitor.config.app import SmoothingConfig
from monitor.config.camera import CameraConfig
from monitor.config.site import SiteConfig
from monitor.config.zone import ZoneConfig
from monitor.schedule.calendar import SiteCalendar
from monitor.state.counter import counter_state, is_present
from monitor.state.model import CameraReading, CounterReading, SiteSnapshot, ZoneReading
from monitor.state.sessions import DiscardReason, ServiceCompleted, SessionTracker
from monitor.state.smoothing import MedianWindow


@dataclass
class _Zone:
    """Mutable state of one zone: its window, its last sample and (service zones) its sessions."""

    cfg: ZoneConfig
    camera: CameraConfig
    window: MedianWindow
    sessions: SessionTracker | None
    last_t: float | None = None
    raw: int | None = None

    @property
    def stale_limit_s(self) -> float:
        return self.camera.stale_after * self.camera.sample_every


def _sum_known(values: Iterable[float | None]) -> float | None:
    """Return the sum, or None if any value is unknown (a partial total would look like a real one)."""
    total = 0.0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _any_present(values: list[float | None]) -> bool | None:
    """Three-valued OR of 'someone is there': True if any known value shows someone, None if undecidable."""
    present = [is_present(v) for v in values]
    if any(p is True for p in present):
        return True
    if not present or any(p is None for p in present):
        return None
    return False


class SiteTracker:
    """Combine the samples of a site's cameras into SiteSnapshots.

    ``observe`` feeds one sample of one camera (people per zone id); ``snapshot`` reads everything at an
    instant. A zone is unknown (value None, never 0) before its first sample and when its last sample is older
    than ``stale_after x sample_every`` of its camera. After such an outage the median window restarts: values
    from before the outage describe another moment. Samples for unknown cameras or zones, and samples older
    than the zone's last one, are ignored (``zone_ids`` lets the caller log them). Thread-safe.
    """

    def __init__(self, site: SiteConfig, smoothing: SmoothingConfig, calendar: SiteCalendar) -> None:
        """Track every zone of every camera of ``site``."""
        self.site = site
        self.smoothing = smoothing
        self.calendar = calendar
        self._lock = threading.Lock()
        self._cameras: dict[str, CameraConfig] = {}
        self._zones: dict[str, _Zone] = {}
        self._health: dict[str, CameraReading] = {}
        self._moved: set[str] = set()  # cameras whose view moved away from their zones (see view_moved)
        n = smoothing.service_history
        self._served: dict[str, int] = {c.id: 0 for c in site.counters}
        self._discarded: dict[str, Counter[DiscardReason]] = {c.id: Counter() for c in site.counters}
        self._counter_durations: dict[str, deque[float]] = {c.id: deque(maxlen=n) for c in site.counters}
        self._site_durations: deque[float] = deque(maxlen=n)
        for cam in site.cameras:
            self._add_camera(cam)

    def _add_camera(self, cam: CameraConfig) -> None:
        self._cameras[cam.id] = cam
        for z in cam.zones:
            sessions = None
            if z.kind == "service" and z.counter is not None:
                s = self.smoothing
                sessions = SessionTracker(z.counter, cam.sample_every, s.session_gap, s.min_session,
                                          s.service_history)
            self._zones[z.id] = _Zone(z, cam, MedianWindow(self.smoothing.window), sessions)

    def zone_ids(self, camera_id: str) -> frozenset[str] | None:
        """Return the zone ids of a camera, None for a camera this site does not have."""
        with self._lock:
            cam = self._cameras.get(camera_id)
            return None if cam is None else frozenset(z.id for z in cam.zones)

    def observe(self, camera_id: str, t: float, counts: Mapping[str, int]) -> list[ServiceCompleted]:
        """Record one sample (unix seconds ``t``) of a camera; return the service sessions it completed.

        Zones of the camera missing from ``counts`` were not measured in this sample and stay as they were.
        Every zone's window takes the sample first, so a staff zone on the same camera as a counter's front
        decides, from this very sample, whether the citizen there is being served.
        """
        with self._lock:
            cam = self._cameras.get(camera_id)
            if cam is None:
                return []
            fronts: list[tuple[_Zone, int]] = []
            for zcfg in cam.zones:
                z = self._zones[zcfg.id]
                if zcfg.id not in counts or (z.last_t is not None and t <= z.last_t):
                    continue
                if z.last_t is not None and t - z.last_t > z.stale_limit_s:
                    z.window.clear()
                n = int(counts[zcfg.id])
                z.window.add(n)
                z.raw, z.last_t = n, t
                if z.sessions is not None:
                    fronts.append((z, n))
            events = []
            for z, n in fronts:
                assert z.sessions is not None and z.cfg.counter is not None
                before = Counter(z.sessions.discarded)
                done = z.sessions.update(t, n >= 1, self._staffed_at(z.cfg.counter, t))
                self._discarded.setdefault(z.cfg.counter, Counter()).update(z.sessions.discarded - before)
                if done is not None:
                    self._record(done)
                    events.append(done)
            return events

    def _staffed_at(self, counter: str, t: float) -> bool | None:
        """Return whether an officer is at the counter at ``t``; True for a counter no staff zone watches."""
        staff = [z for z in self._zones.values() if z.cfg.kind == "staff" and z.cfg.counter == counter]
        if not staff:
            return True  # nothing can tell: every front occupation is a service (counter shows staff_zone: false)
        values = [z.window.value() if z.last_t is not None and 0 <= t - z.last_t <= z.stale_limit_s else None
                  for z in staff]
        return _any_present(values)

    def _record(self, done: ServiceCompleted) -> None:
        if done.counter in self._served:
            self._served[done.counter] += 1
            self._counter_durations[done.counter].append(done.duration_s)
        self._site_durations.append(done.duration_s)

    def camera_health(self, camera_id: str, reading: CameraReading) -> None:
        """Store the latest health reading of a camera (shown as-is in snapshots)."""
        with self._lock:
            if camera_id in self._cameras:
                self._health[camera_id] = reading

    def view_moved(self, camera_id: str, moved: bool) -> None:
        """Mark a camera's view as moved away from its zones (they read unknown), or back in place."""
        with self._lock:
            if moved:
                self._moved.add(camera_id)
            else:
                self._moved.discard(camera_id)

    def reset_camera(self, camera_id: str, camera: CameraConfig | None = None) -> None:
        """Forget the windows, last samples and open sessions of a camera's zones.

        With ``camera`` (a changed config, e.g. on hot reload) its zones are replaced by the new ones; a
        camera id the site did not have is added. Served totals and service history are kept.
        """
        if camera is not None and camera.id != camera_id:
            raise ValueError(f"reset_camera({camera_id!r}) got the config of camera {camera.id!r}")
        with self._lock:
            old = self._cameras.get(camera_id)
            new = camera if camera is not None else old
            if new is None:
                return
            if old is not None:
                for z in old.zones:
                    self._zones.pop(z.id, None)
            self._add_camera(new)

    def forget_camera(self, camera_id: str) -> None:
        """Forget a camera the site no longer has (hot reload): its zones and their state, its health and view.

        Served totals and service history stay: they belong to the counters, not to the camera.
        """
        with self._lock:
            cam = self._cameras.pop(camera_id, None)
            if cam is None:
                return
            for z in cam.zones:
                self._zones.pop(z.id, None)
            self._health.pop(camera_id, None)
            self._moved.discard(camera_id)

    def _zone_reading(self, z: _Zone, now_ts: float) -> ZoneReading:
        age = None if z.last_t is None else max(0.0, now_ts - z.last_t)
        fresh = age is not None and age <= z.stale_limit_s and z.camera.id not in self._moved
        return ZoneReading(site=self.site.id, camera=z.camera.id, zone=z.cfg.id, kind=z.cfg.kind,
                           counter=z.cfg.counter, value=z.window.value() if fresh else None,
                           raw=z.raw if fresh else None, age_s=age)

    def _counter_reading(self, counter_id: str, name: str | None, open_: bool,
                         readings: dict[str, ZoneReading]) -> CounterReading:
        mine = [r for r in readings.values() if r.counter == counter_id]
        staff = [r.value for r in mine if r.kind == "staff"]
        service = [r for r in mine if r.kind == "service"]
        # A counter no staff zone watches cannot tell an officer from none: its staffing stays unknown and every
        # front occupation counts as a service (staff_zone false in the status says so).
        has_staff_zone = any(z.cfg.kind == "staff" and z.cfg.counter == counter_id for z in self._zones.values())
        staffed = _any_present(staff)
        front = _sum_known(r.value for r in service) if service else None
        queues = [r for r in mine if r.kind == "queue"] or [
            r for r in readings.values() if r.kind == "queue" and r.counter is None]
        waiting = _sum_known(r.value for r in queues)
        # No service zone: nobody can be seen at the front, so the counter is never "serving" (documented).
        state = counter_state(open_, staffed, front if service else 0.0, waiting)
        session_s = started = waiting_s = None
        if service and all(r.value is not None for r in service):  # unknown while any front camera is stale
            trackers = [s for r in service if (s := self._zones[r.zone].sessions) is not None]
            open_sessions = [(s.session_s(), s.session_started_at()) for s in trackers
                             if s.session_s() is not None]
            if open_sessions:
                session_s, started = max(open_sessions, key=lambda x: x[0] or 0.0)
            waits = [w for s in trackers if (w := s.waiting_s()) is not None]
            waiting_s = max(waits) if waits else None
        durations = self._counter_durations.get(counter_id, ())
        return CounterReading(site=self.site.id, counter=counter_id, name=name, staffed=staffed, state=state,
                              front_people=front, session_s=session_s,
                              served_total=self._served.get(counter_id, 0),
                              mean_service_s=sum(durations) / len(durations) if durations else None,
                              staff_zone=has_staff_zone, session_started_at=started, front_wait_s=waiting_s,
                              discarded={str(k): n for k, n in self._discarded.get(counter_id, Counter()).items()})

    def _estimated_wait(self, r: ZoneReading, counters: dict[str, CounterReading]) -> float | None:
        """Little's law: people waiting x mean recent service time / staffed counters serving this queue."""
        if r.value is None:
            return None
        if r.counter is not None:
            c = counters.get(r.counter)
            durations: Iterable[float] = self._counter_durations.get(r.counter, ())
            servers = 1 if c is not None and c.staffed else 0
        else:
            durations = self._site_durations
            servers = sum(1 for c in counters.values() if c.staffed)
        durations = list(durations)
        if not durations or servers == 0:
            return None
        return r.value * (sum(durations) / len(durations)) / servers

    def snapshot(self, now: dt.datetime) -> SiteSnapshot:
        """Return everything known about the site at the aware instant ``now``; changes no state."""
        if now.tzinfo is None or now.tzinfo.utcoffset(now) is None:
            raise ValueError("snapshot needs a timezone-aware datetime")
        open_ = self.calendar.is_open(now)
        now_ts = now.timestamp()
        with self._lock:
            readings = {zid: self._zone_reading(z, now_ts) for zid, z in self._zones.items()}
            counters = {c.id: self._counter_reading(c.id, c.name, open_, readings)
                        for c in self.site.counters}
            for zid, r in readings.items():
                if r.kind == "queue":
                    readings[zid] = replace(r, estimated_wait_s=self._estimated_wait(r, counters))
            cameras = {cid: self._health.get(cid, CameraReading(site=self.site.id, camera=cid, up=False,
                                                                 last_frame_ts=None))
                       for cid in self._cameras}
        return SiteSnapshot(site=self.site.id, at=now, open=open_, zones=readings, counters=counters,
                            cameras=cameras)
