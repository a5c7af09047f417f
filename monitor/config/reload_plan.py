"""What a new config changes against the running one: the pure reload plan (no I/O, no running parts).

``plan_reload`` sorts cameras into added, removed, restarted (source settings changed: a new source), updated
(zones or other settings changed: same source) and unchanged, and sites into added, removed and rebuilt. Each
running part applies the piece of the plan that concerns it (see ``monitor.reload.Reloader``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from .app import AppConfig
from .camera import CameraConfig, kinds_needed

SOURCE_FIELDS = ("url", "type", "sample_every", "loop", "realtime")
"""Camera settings the source itself uses: changing one restarts that camera's source."""

LIVE_DETECTOR_FIELDS = ("tiling", "max_batch")
"""Detector settings applied without reloading the model; any other detector change needs a restart."""

RESTART_SERVICE_FIELDS = ("host", "port", "state_dir")
"""Service settings read only at start."""


@dataclass(frozen=True)
class ReloadPlan:
    """What a new config changes, by camera and site id."""

    cameras_added: tuple[str, ...] = ()
    cameras_removed: tuple[str, ...] = ()
    cameras_restarted: tuple[str, ...] = ()
    cameras_updated: tuple[str, ...] = ()
    cameras_unchanged: tuple[str, ...] = ()
    sites_added: tuple[str, ...] = ()
    sites_removed: tuple[str, ...] = ()
    sites_rebuilt: tuple[str, ...] = ()
    alerts_changed: tuple[str, ...] = ()
    restart_required: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Return True when anything is to be applied."""
        return any((self.cameras_added, self.cameras_removed, self.cameras_restarted, self.cameras_updated,
                    self.sites_added, self.sites_removed, self.sites_rebuilt, self.alerts_changed))


def _enabled(cfg: AppConfig) -> dict[str, tuple[str, CameraConfig]]:
    return {c.id: (s.id, c) for s in cfg.sites for c in s.cameras if c.enabled}


def _differs(a: BaseModel, b: BaseModel, fields: Iterable[str]) -> list[str]:
    return [f for f in fields if getattr(a, f) != getattr(b, f)]


def plan_reload(old: AppConfig, new: AppConfig, detector_kinds: Iterable[str]) -> ReloadPlan:
    """Return what applying ``new`` over ``old`` changes; ``errors`` is set when it cannot be applied live.

    ``detector_kinds`` are the detectors this process has loaded ('person', 'head'): a camera needing another
    one cannot run until the service restarts, so such a config is refused rather than half applied.
    """
    errors: list[str] = []
    restart: list[str] = []
    loaded = set(detector_kinds)
    old_cams, new_cams = _enabled(old), _enabled(new)
    for cid, (_, cam) in sorted(new_cams.items()):
        missing = kinds_needed(cam) - loaded
        if missing:
            errors.append(f"camera {cid!r} needs the {', '.join(sorted(missing))} detector, which this process has "
                          f"not loaded: restart the service to apply this config")
    for name in _differs(old.detector, new.detector, type(new.detector).model_fields):
        if name not in LIVE_DETECTOR_FIELDS:
            restart.append(f"detector.{name} changed: the running model keeps its settings until the service "
                           f"restarts")
    for name in _differs(old.service, new.service, RESTART_SERVICE_FIELDS):
        restart.append(f"service.{name} changed: takes effect when the service restarts")

    old_sites = {s.id: s for s in old.sites}
    new_sites = {s.id: s for s in new.sites}
    smoothing_changed = old.smoothing != new.smoothing
    rebuilt = [sid for sid, s in new_sites.items() if sid in old_sites and (
        smoothing_changed or old_sites[sid].model_dump(exclude={"cameras", "alerts"})
        != s.model_dump(exclude={"cameras", "alerts"}))]
    alerts_changed = [sid for sid, s in new_sites.items() if sid not in old_sites or old_sites[sid].alerts != s.alerts]

    added, removed, restarted, updated, unchanged = [], [], [], [], []
    for cid in sorted(set(old_cams) | set(new_cams)):
        if cid not in new_cams:
            removed.append(cid)
        elif cid not in old_cams:
            added.append(cid)
        else:
            (old_site, a), (new_site, b) = old_cams[cid], new_cams[cid]
            if old_site != new_site or _differs(a, b, SOURCE_FIELDS):
                restarted.append(cid)
            elif a != b:
                updated.append(cid)
            else:
                unchanged.append(cid)
    return ReloadPlan(tuple(added), tuple(removed), tuple(restarted), tuple(updated), tuple(unchanged),
                      tuple(sorted(set(new_sites) - set(old_sites))), tuple(sorted(set(old_sites) - set(new_sites))),
                      tuple(sorted(rebuilt)), tuple(sorted(alerts_changed)), tuple(restart), tuple(errors))


@dataclass(frozen=True)
class ReloadResult:
    """The outcome of one reload: applied or not, the errors that stopped it, and what it changed."""

    applied: bool
    errors: list[str] = field(default_factory=list)
    plan: ReloadPlan | None = None
