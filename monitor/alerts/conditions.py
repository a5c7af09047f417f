"""What each alert rule kind sees in a site snapshot: bad, clear or unknown, with the values to report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import (
    AlertRule,
    CameraDownRule,
    CameraMovedRule,
    CounterUnstaffedRule,
    LongQueueRule,
    LongServiceRule,
    SiteConfig,
    rule_id,
)
from ..state.model import SiteSnapshot

# Smoothed counts are medians and may be fractional (even windows); half a person or more counts as someone.
SOMEONE = 0.5


@dataclass(frozen=True)
class Observation:
    """One rule's condition in one snapshot.

    ``bad`` None means unknown (its camera is stale or missing): the rule's state must hold. ``clear`` is True
    when the condition is clearly gone; for long_queue the hysteresis band (clear_below <= people <
    min_people) has bad=False and clear=False: it cancels a pending alert but keeps a firing one firing.
    """

    bad: bool | None
    clear: bool | None
    values: dict[str, Any] = field(default_factory=dict)
    episode: float | None = None  # per-episode rules (long_service): which session the values are about

    @property
    def label(self) -> str:
        """Return 'unknown', 'bad', 'clear' or 'band'."""
        if self.bad is None:
            return "unknown"
        return "bad" if self.bad else "clear" if self.clear else "band"


UNKNOWN = Observation(None, None)


def clear_below(rule: LongQueueRule) -> int:
    """Return the count a long queue must fall below to resolve (default min_people - 1, at most min_people).

    >>> clear_below(LongQueueRule(kind="long_queue", zone="z", min_people=5, **{"for": 60}))
    4
    """
    value = rule.min_people - 1 if rule.clear_below is None else rule.clear_below
    return min(value, rule.min_people)


def gated_by_hours(rule: AlertRule) -> bool:
    """Return whether the rule is only evaluated while the site is open (all but camera_down)."""
    return rule.kind != "camera_down"


def per_session(rule: AlertRule) -> bool:
    """Return whether the rule fires once per service session and resolves when that session ends."""
    return rule.kind == "long_service"


def pending_for(rule: AlertRule) -> float:
    """Return how long the condition must hold before firing.

    long_service already measures the session itself (session_s >= for), so it fires without a second wait.
    """
    return 0.0 if rule.kind == "long_service" else rule.for_


def subject_of(rule: AlertRule, site: SiteConfig) -> dict[str, str]:
    """Return the ids the rule is about: zone and its camera, counter, or camera."""
    if isinstance(rule, LongQueueRule):
        cam = next((c.id for c in site.cameras for z in c.zones if z.id == rule.zone), "")
        return {"zone": rule.zone, "camera": cam}
    if isinstance(rule, CounterUnstaffedRule | LongServiceRule):
        return {"counter": rule.counter}
    return {"camera": rule.camera}


def subject_name(rule: AlertRule, site: SiteConfig) -> str:
    """Return the display name of what the rule is about (zone, counter or camera name, else its id)."""
    if isinstance(rule, LongQueueRule):
        return next((z.name or z.id for c in site.cameras for z in c.zones if z.id == rule.zone), rule.zone)
    if isinstance(rule, CounterUnstaffedRule | LongServiceRule):
        return next((c.name or c.id for c in site.counters if c.id == rule.counter), rule.counter)
    return next((c.name or c.id for c in site.cameras if c.id == rule.camera), rule.camera)


def _long_queue(rule: LongQueueRule, snap: SiteSnapshot) -> Observation:
    z = snap.zones.get(rule.zone)
    if z is None or z.value is None:
        return UNKNOWN
    values = {"people": z.value, "min_people": rule.min_people, "clear_below": clear_below(rule)}
    return Observation(z.value >= rule.min_people, z.value < clear_below(rule), values)


def waiting_people(counter: str, snap: SiteSnapshot) -> tuple[float, bool]:
    """Return (people seen waiting at the counter front or in any queue zone of the site, all zones known)."""
    c = snap.counters.get(counter)
    parts = [c.front_people if c is not None else None]
    parts += [z.value for z in snap.zones.values() if z.kind == "queue"]
    return sum(p for p in parts if p is not None), all(p is not None for p in parts)


def _counter_unstaffed(rule: CounterUnstaffedRule, snap: SiteSnapshot) -> Observation:
    c = snap.counters.get(rule.counter)
    if c is None or c.staffed is None:
        return UNKNOWN
    waiting, all_known = waiting_people(rule.counter, snap)
    values = {"staffed": c.staffed, "front_people": c.front_people, "waiting": waiting}
    if c.staffed:
        return Observation(False, True, values)
    if not rule.only_when_waiting or waiting >= SOMEONE:
        return Observation(True, False, values)
    # Nobody is seen waiting, but a stale camera might hide a queue: unknown rather than a false all-clear.
    return Observation(False, True, values) if all_known else Observation(None, None, values)


def _long_service(rule: LongServiceRule, snap: SiteSnapshot) -> Observation:
    c = snap.counters.get(rule.counter)
    if c is None or (c.front_people is None and c.session_s is None):
        return UNKNOWN
    bad = c.session_s is not None and c.session_s >= rule.for_
    values = {"session_s": None if c.session_s is None else round(c.session_s, 1), "for_s": rule.for_,
              "counter": rule.counter, "front_people": c.front_people}
    return Observation(bad, not bad, values, c.session_started_at)


def _camera_down(rule: CameraDownRule, snap: SiteSnapshot) -> Observation:
    r = snap.cameras.get(rule.camera)
    if r is None:
        return UNKNOWN
    values = {"up": r.up, "last_frame_ts": r.last_frame_ts, "error": r.error, "reconnects": r.reconnects}
    return Observation(not r.up, r.up, values)


def _camera_moved(rule: CameraMovedRule, snap: SiteSnapshot) -> Observation:
    # Gated by office hours (gated_by_hours): at night a dark room or an infrared picture may not match the
    # daytime reference; a camera moved overnight is still moved at opening and fires `for` after it.
    r = snap.cameras.get(rule.camera)
    if r is None or not r.up or r.view is None or r.view.moved is None:
        return UNKNOWN  # no current frame, no check, or no reference yet
    v = r.view
    values = {"shift_ratio": v.shift_ratio, "threshold": v.threshold, "reference_at": v.reference_at,
              "checked_at": v.checked_at}
    return Observation(v.moved, not v.moved, values)


def observe(rule: AlertRule, snap: SiteSnapshot) -> Observation:
    """Return the rule's condition in the snapshot (pure)."""
    if isinstance(rule, LongQueueRule):
        return _long_queue(rule, snap)
    if isinstance(rule, CounterUnstaffedRule):
        return _counter_unstaffed(rule, snap)
    if isinstance(rule, LongServiceRule):
        return _long_service(rule, snap)
    if isinstance(rule, CameraDownRule):
        return _camera_down(rule, snap)
    if isinstance(rule, CameraMovedRule):
        return _camera_moved(rule, snap)
    raise TypeError(f"unknown rule {rule_id(rule)!r}")
