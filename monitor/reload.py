"""Hot reload: compare the running config with a new one, apply the difference, keep whatever did not change.

``plan_reload`` (pure) sorts cameras into added, removed, restarted (source settings changed: a new source),
updated (zones or other settings changed: same source) and unchanged; ``Reloader`` validates the file like
``check-config``, then applies the plan to the engine, the alert service (rule state and outbox kept) and the
API's config and tokens. The running config stays in force whenever the new one is rejected.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import AppConfig, CameraConfig, ConfigError, LoadedConfig, load_config
from .config.service import FileToken, TokensFileError, read_tokens_file
from .config.shard import Shard, select_shard
from .pipeline.analyse import kinds_needed
from .redact import REDACTOR, redact_url

log = logging.getLogger(__name__)

SOURCE_FIELDS = ("url", "type", "sample_every", "loop", "realtime")
"""Camera settings the source itself uses: changing one restarts that camera's source."""

LIVE_DETECTOR_FIELDS = ("tiling", "max_batch")
"""Detector settings applied without reloading the model; any other detector change needs a restart."""

RESTART_SERVICE_FIELDS = ("host", "port", "state_dir")

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


@dataclass(frozen=True)
class ReloadResult:
    """The outcome of one reload: applied or not, the errors that stopped it, and what it changed."""

    applied: bool
    errors: list[str] = field(default_factory=list)
    plan: ReloadPlan | None = None


def _enabled(cfg: AppConfig) -> dict[str, tuple[str, CameraConfig]]:
    return {c.id: (s.id, c) for s in cfg.sites for c in s.cameras if c.enabled}


def _differs(a: Any, b: Any, fields: Iterable[str]) -> list[str]:
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


def config_error_lines(exc: ConfigError) -> list[str]:
    """Return the lines `check-config` prints to stderr for this error, secrets scrubbed."""
    lines = [REDACTOR(redact_url(f"{issue.file or exc.source}: {issue}")) for issue in exc.issues]
    n = sum(1 for i in exc.issues if not i.warning)
    return lines + [f"{exc.source}: invalid ({n} error{'s' if n != 1 else ''})"]


def tokens_file_path(loaded: LoadedConfig) -> Path | None:
    """Return the tokens file of a config, relative paths taken from the config file's folder."""
    path = loaded.config.service.tokens_file
    if path is None or path.is_absolute() or loaded.path is None:
        return path
    return loaded.path.parent / path


def load_file_tokens(loaded: LoadedConfig) -> list[FileToken]:
    """Read the config's tokens file (none configured: no tokens); raise TokensFileError when unusable."""
    path = tokens_file_path(loaded)
    return [] if path is None else read_tokens_file(path)


def access_secrets(loaded: LoadedConfig, tokens: list[FileToken]) -> list[str]:
    """Return the secrets of the access settings (file tokens, metrics password) for the log redactor."""
    out = [t.token for t in tokens]
    auth = loaded.config.service.metrics_auth
    if auth is not None and os.environ.get(auth.password_env):
        out.append(os.environ[auth.password_env])
    return [s for s in out if len(s) >= 3]


class Reloader:
    """Re-reads the config file and applies it to a running service; called on SIGHUP and by POST /reload."""

    def __init__(self, services: Any, path: Path, log_level: str | None = None, shard: Shard | None = None) -> None:
        """Reload ``path`` into ``services`` (a monitor.api.deps.Services with a running engine).

        ``log_level`` (from ``run --log-level``) wins over the config's service.log_level on every reload.
        ``shard``: the shard this process runs (fixed at start); only its sites of the new file are applied.
        """
        self.services = services
        self.path = Path(path)
        self.log_level = log_level
        self.shard = shard
        self._lock = threading.Lock()  # one reload at a time; a second caller waits for the first

    def __call__(self) -> ReloadResult:
        """Validate and apply the config file; return what happened (errors leave the running config alone)."""
        with self._lock:
            result = self._reload()
        if result.errors:
            log.error("reload rejected; running config kept", extra={"errors": "; ".join(result.errors)})
        elif result.plan is not None:
            p = result.plan
            log.info("config reloaded", extra={
                "cameras_added": ",".join(p.cameras_added), "cameras_removed": ",".join(p.cameras_removed),
                "cameras_restarted": ",".join(p.cameras_restarted),
                "cameras_updated": ",".join(p.cameras_updated), "sites_rebuilt": ",".join(p.sites_rebuilt),
                "restart_required": "; ".join(p.restart_required)})
        return result

    def _reload(self) -> ReloadResult:
        services = self.services
        try:
            new = load_config(self.path)
        except ConfigError as exc:
            return ReloadResult(False, config_error_lines(exc))
        if self.shard is not None:
            new = LoadedConfig(select_shard(new.config, self.shard), new.path, new.warnings)
        try:
            tokens = load_file_tokens(new)
        except TokensFileError as exc:
            return ReloadResult(False, [str(exc)])
        engine = services.engine
        plan = plan_reload(services.config.config, new.config, engine.detector_kinds())
        if plan.errors:
            return ReloadResult(False, list(plan.errors), plan)
        # New camera passwords must be known to the scrubber before anything can log the new URLs.
        REDACTOR.add(new.secrets() + access_secrets(new, tokens))
        # Removals first and additions after the API sees the new config, so no request meets a site that one
        # side knows and the other does not.
        engine.retire(plan)
        services.config = new
        services.file_tokens = tokens
        engine.adopt(new, plan)
        if services.alerts is not None:
            services.alerts.update_sites(new.config.sites)  # rule state and the outbox carry over
        reports = services.extra.get("reports")
        if reports is not None:
            reports.configure(new)  # thresholds of history and metrics, report schedules and targets
        logging.getLogger().setLevel((self.log_level or new.config.service.log_level).upper())
        return ReloadResult(True, [], plan)
