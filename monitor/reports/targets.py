"""Alert thresholds and service-level targets from the config, for history, reports and the metrics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import Gauge

from ..config import AppConfig
from ..metrics.registry import Metrics
from ..metrics.series import remove_series


@dataclass(frozen=True)
class Targets:
    """Every threshold the config implies, keyed by (site, subject id)."""

    queue: dict[tuple[str, str], int]  # queue zone -> people at or above which it is long
    queue_for: dict[tuple[str, str], float]  # queue zone -> the long_queue rule's `for` (zones with a rule)
    zone_camera: dict[tuple[str, str], str]
    long_service: dict[tuple[str, str], float]  # counter -> session seconds at which long_service fires
    unstaffed: dict[tuple[str, str], float]  # counter -> counter_unstaffed `for`
    camera_down: dict[tuple[str, str], float]  # camera -> camera_down `for`
    wait_target_s: float


def _lowest(pairs: Iterable[tuple[tuple[str, str], float]]) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for key, value in pairs:
        out[key] = min(value, out.get(key, value))
    return out


def targets_of(cfg: AppConfig) -> Targets:
    """Return the thresholds of every queue zone, counter and camera of the config.

    A queue zone's threshold is the lowest ``min_people`` of its long_queue rules (the first to fire), else
    ``reports.queue_threshold``; the other thresholds exist only where a rule sets them.
    """
    queue: dict[tuple[str, str], int] = {}
    zone_camera: dict[tuple[str, str], str] = {}
    for s in cfg.sites:
        for cam in s.cameras:
            for z in cam.zones:
                if z.kind == "queue":
                    queue[(s.id, z.id)] = cfg.reports.queue_threshold
                    zone_camera[(s.id, z.id)] = cam.id
    rules = [(s.id, r) for s in cfg.sites for r in s.alerts.rules]
    ruled = _lowest(((sid, r.zone), float(r.min_people)) for sid, r in rules if r.kind == "long_queue")
    queue.update({k: int(v) for k, v in ruled.items() if k in queue})
    return Targets(
        queue=queue,
        queue_for=_lowest(((sid, r.zone), r.for_) for sid, r in rules if r.kind == "long_queue"),
        zone_camera=zone_camera,
        long_service=_lowest(((sid, r.counter), r.for_) for sid, r in rules if r.kind == "long_service"),
        unstaffed=_lowest(((sid, r.counter), r.for_) for sid, r in rules if r.kind == "counter_unstaffed"),
        camera_down=_lowest(((sid, r.camera), r.for_) for sid, r in rules if r.kind == "camera_down"),
        wait_target_s=cfg.reports.wait_target,
    )


def publish_targets(cfg: AppConfig, metrics: Metrics) -> None:
    """Export the thresholds as gauges (onestop_zone_queue_threshold, ...); series the config lost are removed."""
    t = targets_of(cfg)
    m = metrics
    want: dict[Gauge, dict[tuple[str, ...], float]] = {g: {} for g in (
        m.zone_queue_threshold, m.zone_queue_threshold_for, m.zone_wait_target,
        m.counter_long_service_threshold, m.counter_unstaffed_threshold, m.camera_down_threshold)}
    for (site, zone), people in t.queue.items():
        zl: tuple[str, ...] = (site, t.zone_camera[(site, zone)], zone)
        want[m.zone_queue_threshold][zl] = people
        want[m.zone_wait_target][zl] = t.wait_target_s
        if (site, zone) in t.queue_for:
            want[m.zone_queue_threshold_for][zl] = t.queue_for[(site, zone)]
    for g, per_key in ((m.counter_long_service_threshold, t.long_service),
                       (m.counter_unstaffed_threshold, t.unstaffed), (m.camera_down_threshold, t.camera_down)):
        want[g] = {key: secs for key, secs in per_key.items()}
    for gauge, values in want.items():
        for labels, value in values.items():
            gauge.labels(*labels).set(value)
        remove_series(gauge, lambda labels: tuple(labels.values()) not in values)  # noqa: B023 - used at once
