"""Per-minute figures of every counter and queue zone, integrated from clock ticks (pure: time comes from ticks).

Each snapshot's readings hold from its time until the next snapshot's (like the open/staffed seconds of the
metrics); the interval is split at minute boundaries, so every minute gets exactly the seconds that fell in it.
Intervals that start while the office is closed, or longer than MAX_GAP_S (the process was down, time jumped)
are not credited: that time is simply missing, and reports show it as lower coverage, never as zero queue.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..pipeline.events import SiteTick
from ..state.counter import PRESENT
from ..state.model import SiteSnapshot

MAX_GAP_S = 60.0
STATES = ("serving", "waiting_unstaffed", "idle_staffed", "unstaffed")


@dataclass
class CounterMinute:
    """Seconds of one minute of one counter, office hours only."""

    open_s: float = 0.0
    known_s: float = 0.0  # state known
    staffed_s: float = 0.0
    staffed_known_s: float = 0.0
    states: dict[str, float] = field(default_factory=dict)  # state -> seconds (STATES and any newer state)
    unknown_s: float = 0.0


@dataclass
class ZoneMinute:
    """One minute of one queue zone, office hours only; people_s and wait_ss are time integrals."""

    camera: str = ""
    counter: str | None = None
    open_s: float = 0.0
    known_s: float = 0.0
    people_s: float = 0.0  # integral of people over the known seconds (mean = people_s / known_s)
    peak: float | None = None
    over_s: float = 0.0  # seconds at or above the zone's threshold
    threshold: int | None = None
    wait_known_s: float = 0.0  # seconds with a (finite) estimated wait; 0 while nobody waits
    wait_ss: float = 0.0  # integral of the estimated wait (s) over wait_known_s
    wait_peak: float | None = None
    wait_over_s: float = 0.0  # seconds the wait was above the target, or people waited with no officer


@dataclass(frozen=True)
class ServiceRow:
    """One completed service (citizen served)."""

    site: str
    counter: str
    ended_at: float
    duration_s: float


@dataclass(frozen=True)
class AlertRow:
    """One alert that started firing."""

    site: str
    key: str
    rule: str
    kind: str
    at: float
    subject: str  # JSON of the subject, e.g. {"counter": "desk-1"}


@dataclass
class Batch:
    """Rows ready to be written together."""

    counters: dict[tuple[str, str, int], CounterMinute] = field(default_factory=dict)
    zones: dict[tuple[str, str, int], ZoneMinute] = field(default_factory=dict)
    services: list[ServiceRow] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)

    def __len__(self) -> int:
        """Return how many rows the batch holds."""
        return len(self.counters) + len(self.zones) + len(self.services) + len(self.alerts)


@dataclass(frozen=True)
class _Prev:
    t: float
    snap: SiteSnapshot


def _wait(people: float | None, estimate: float | None, counter: str | None, snap: SiteSnapshot) -> float | None:
    """Return the wait to credit: the estimate; 0 with nobody waiting; inf with people waiting and no officer.

    The service's estimate (Little's law) is None both before any service time is known and when no staffed
    counter serves the queue; only the second is a wait, and an unbounded one.
    """
    if estimate is not None:
        return estimate
    if people is None:
        return None
    if people < PRESENT:
        return 0.0
    servers = [c for c in snap.counters.values() if counter is None or c.counter == counter]
    if servers and all(c.staffed is False for c in servers):
        return math.inf
    return None


def minute_pieces(start: float, end: float) -> Iterable[tuple[int, float]]:
    """Split [start, end) into (unix minute, seconds) pieces at minute boundaries.

    >>> list(minute_pieces(119.5, 121.0))
    [(1, 0.5), (2, 1.0)]
    """
    t = start
    while t < end:
        m = math.floor(t / 60.0)
        stop = min(end, (m + 1) * 60.0)
        yield m, stop - t
        t = stop


class MinuteAccumulator:
    """Turns ticks into per-minute rows; ``take_finished`` hands over minutes no later tick can add to.

    ``thresholds`` maps (site, zone) to the people count at or above which the queue is long; zones missing from
    it count no over-threshold time. ``wait_target_s`` is the service-level target of the estimated wait.
    """

    def __init__(self, thresholds: Mapping[tuple[str, str], int] | None = None,
                 wait_target_s: float = 900.0) -> None:
        """Start empty."""
        self.thresholds = dict(thresholds or {})
        self.wait_target_s = wait_target_s
        self._prev: dict[str, _Prev] = {}
        self._pending = Batch()

    def configure(self, thresholds: Mapping[tuple[str, str], int], wait_target_s: float) -> None:
        """Use new thresholds from now on (a reloaded config); minutes already credited keep theirs."""
        self.thresholds = dict(thresholds)
        self.wait_target_s = wait_target_s

    def observe(self, tick: SiteTick) -> None:
        """Credit the interval since the site's previous tick, and record its services and alerts."""
        snap = tick.snapshot
        t = snap.at.timestamp()
        prev = self._prev.get(snap.site)
        if prev is not None and t <= prev.t:
            return  # not newer: a repeated tick adds nothing
        if prev is not None and t - prev.t <= MAX_GAP_S and prev.snap.open:
            self._credit(prev.snap, prev.t, t)
        self._prev[snap.site] = _Prev(t, snap)
        for s in tick.services:
            self._pending.services.append(ServiceRow(snap.site, s.counter, s.ended_at, s.duration_s))
        for n in tick.notifications:
            if getattr(n, "status", None) == "firing" and getattr(n, "seq", None) == 0:
                subject = json.dumps(dict(n.subject), sort_keys=True, ensure_ascii=False)
                self._pending.alerts.append(AlertRow(snap.site, n.key, n.rule, n.kind, n.at, subject))

    def finish(self, site: str, end: float) -> None:
        """Let the site's last tick hold until ``end`` (the end of a replayed video); no tick follows."""
        prev = self._prev.pop(site, None)
        if prev is not None and prev.snap.open and 0 < end - prev.t <= MAX_GAP_S:
            self._credit(prev.snap, prev.t, end)

    def _credit(self, snap: SiteSnapshot, start: float, end: float) -> None:
        site = snap.site
        counters, zones = self._pending.counters, self._pending.zones
        for minute, secs in minute_pieces(start, end):
            for cid, c in snap.counters.items():
                row = counters.setdefault((site, cid, minute), CounterMinute())
                row.open_s += secs
                if c.state is not None:
                    row.known_s += secs
                    row.states[c.state] = row.states.get(c.state, 0.0) + secs
                elif not c.staff_zone and c.front_people is not None:
                    # No staff zone: the state is unknown by design, but the front (hence its services) is seen.
                    row.known_s += secs
                else:
                    row.unknown_s += secs
                if c.staffed is not None:
                    row.staffed_known_s += secs
                    if c.staffed:
                        row.staffed_s += secs
            for zid, z in snap.zones.items():
                if z.kind != "queue":
                    continue
                zr = zones.setdefault((site, zid, minute), ZoneMinute(camera=z.camera, counter=z.counter))
                zr.open_s += secs
                threshold = self.thresholds.get((site, zid))
                zr.threshold = threshold
                if z.value is not None:
                    zr.known_s += secs
                    zr.people_s += z.value * secs
                    zr.peak = z.value if zr.peak is None else max(zr.peak, z.value)
                    if threshold is not None and z.value >= threshold:
                        zr.over_s += secs
                w = _wait(z.value, z.estimated_wait_s, z.counter, snap)
                if w is not None and math.isfinite(w):  # an unbounded wait is over the target, not in the mean
                    zr.wait_known_s += secs
                    zr.wait_ss += w * secs
                    zr.wait_peak = w if zr.wait_peak is None else max(zr.wait_peak, w)
                if w is not None and w > self.wait_target_s:
                    zr.wait_over_s += secs

    def take_finished(self) -> Batch:
        """Hand over every minute before each site's latest tick, with all services and alerts so far."""
        latest = {site: math.floor(p.t / 60.0) for site, p in self._prev.items()}
        done = Batch(services=self._pending.services, alerts=self._pending.alerts)
        keep = Batch()
        for key, crow in self._pending.counters.items():
            (done if key[2] < latest.get(key[0], key[2] + 1) else keep).counters[key] = crow
        for key, zrow in self._pending.zones.items():
            (done if key[2] < latest.get(key[0], key[2] + 1) else keep).zones[key] = zrow
        self._pending = keep
        return done

    def take_all(self) -> Batch:
        """Hand over everything, the current minutes too (at shutdown; a later write of a minute adds to it)."""
        done, self._pending = self._pending, Batch()
        return done

    def give_back(self, batch: Batch) -> None:
        """Take back a batch that could not be written; it goes out again with the next one.

        Minutes that were credited since are added to the returned rows, so nothing is counted twice.
        """
        for key, crow in self._pending.counters.items():
            old = batch.counters.get(key)
            batch.counters[key] = crow if old is None else _add_counter(old, crow)
        for key, zrow in self._pending.zones.items():
            oldz = batch.zones.get(key)
            batch.zones[key] = zrow if oldz is None else _add_zone(oldz, zrow)
        batch.services.extend(self._pending.services)
        batch.alerts.extend(self._pending.alerts)
        self._pending = batch

    def state(self) -> dict[str, Any]:
        """Return counts for logs and tests."""
        return {"sites": len(self._prev), "pending_rows": len(self._pending)}


def _add_counter(a: CounterMinute, b: CounterMinute) -> CounterMinute:
    states = dict(a.states)
    for k, v in b.states.items():
        states[k] = states.get(k, 0.0) + v
    return CounterMinute(a.open_s + b.open_s, a.known_s + b.known_s, a.staffed_s + b.staffed_s,
                         a.staffed_known_s + b.staffed_known_s, states, a.unknown_s + b.unknown_s)


def _add_zone(a: ZoneMinute, b: ZoneMinute) -> ZoneMinute:
    def top(x: float | None, y: float | None) -> float | None:
        return y if x is None else x if y is None else max(x, y)

    return ZoneMinute(b.camera, b.counter, a.open_s + b.open_s, a.known_s + b.known_s, a.people_s + b.people_s,
                      top(a.peak, b.peak), a.over_s + b.over_s, b.threshold if b.threshold is not None else a.threshold,
                      a.wait_known_s + b.wait_known_s, a.wait_ss + b.wait_ss, top(a.wait_peak, b.wait_peak),
                      a.wait_over_s + b.wait_over_s)
