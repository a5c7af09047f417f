"""Hot reload: validate the config file again, plan what changed, and let each running part apply its share.

The plan is pure (``monitor.config.reload_plan``); ``Reloader`` validates the file like ``check-config``, then
hands the plan to the engine, the API's config and tokens, alerting (rule state and outbox kept) and
the reports. The running config stays in force whenever the new one is rejected.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .api.auth import TokensFileError, access_secrets, load_file_tokens
from .api.deps import AppParts
from .config import ConfigError, LoadedConfig, load_config
from .config.reload_plan import ReloadResult, plan_reload
from .config.shard import Shard, select_shard
from .pipeline.engine import Engine
from .redact import REDACTOR, redact_url

log = logging.getLogger(__name__)


def config_error_lines(exc: ConfigError) -> list[str]:
    """Return the lines `check-config` prints to stderr for this error, secrets scrubbed."""
    lines = [REDACTOR(redact_url(f"{issue.file or exc.source}: {issue}")) for issue in exc.issues]
    n = sum(1 for i in exc.issues if not i.warning)
    return lines + [f"{exc.source}: invalid ({n} error{'s' if n != 1 else ''})"]


class Reloader:
    """Re-reads the config file and applies it to a running service; called on SIGHUP and by POST /reload."""

    def __init__(self, parts: AppParts, engine: Engine, path: Path, log_level: str | None = None,
                 shard: Shard | None = None) -> None:
        """Reload ``path`` into the running ``engine`` and the API's ``parts`` (alerts and reports with them).

        ``log_level`` (from ``run --log-level``) wins over the config's service.log_level on every reload.
        ``shard``: the shard this process runs (fixed at start); only its sites of the new file are applied.
        """
        self.parts = parts
        self.engine = engine
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
        parts, engine = self.parts, self.engine
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
        plan = plan_reload(parts.config.config, new.config, engine.detector_kinds())
        if plan.errors:
            return ReloadResult(False, list(plan.errors), plan)
        # New camera passwords must be known to the scrubber before anything can log the new URLs.
        REDACTOR.add(new.secrets() + access_secrets(new, tokens))
        # Removals first and additions after the API sees the new config, so no request meets a site that one
        # side knows and the other does not.
        # Each part applies its own share of the plan.
        engine.retire(plan)  # sampler, site states, metrics: removed cameras and sites
        parts.config, parts.file_tokens = new, tokens  # the API: config and tokens
        engine.adopt(new, plan)  # worker, site states, sampler, view check, metrics, evidence
        if parts.alerts is not None:
            parts.alerts.update_sites(new.config.sites)  # rule state and the outbox carry over
        if parts.reports is not None:
            parts.reports.configure(new)  # thresholds of history and metrics, report schedules and targets
        logging.getLogger().setLevel((self.log_level or new.config.service.log_level).upper())
        return ReloadResult(True, [], plan)
