"""Read a YAML config, expand ${ENV} references, apply ONESTOP__ overrides, validate, and map errors to lines."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .app import AppConfig
from .checks import run_checks
from .problem import Loc, Problem
from .sites_dir import read_site_files
from .url_checks import check_plain_passwords
from .yaml_source import ConfigError, Issue, format_loc, line_of, parse_yaml

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
OVERRIDE_PREFIX = "ONESTOP__"


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with where it came from and its non-fatal warnings."""

    config: AppConfig
    path: Path | None
    warnings: list[Issue] = field(default_factory=list)
    site_files: dict[str, Path] = field(default_factory=dict)  # site id -> its sites_dir file (others: path)

    def file_of(self, site_id: str) -> Path | None:
        """Return the file a site is written in: its sites_dir file, else the main config file."""
        return self.site_files.get(site_id, self.path)

    def secrets(self) -> list[str]:
        """Return every secret value the config carries (URL passwords, env secrets) for log redaction."""
        from ..redact import url_secrets

        out: list[str] = []
        for site in self.config.sites:
            for cam in site.cameras:
                out += url_secrets(cam.url)
            for hook in site.alerts.webhooks:
                out += url_secrets(hook.url)
                if hook.secret_env and os.environ.get(hook.secret_env):
                    out.append(os.environ[hook.secret_env])
        for tok in self.config.service.tokens:
            if os.environ.get(tok.env):
                out.append(os.environ[tok.env])
        return [s for s in out if len(s) >= 3]


def _expand_env(data: Any, env: Mapping[str, str], loc: Loc, problems: list[Problem], used: list[str]) -> Any:
    if isinstance(data, dict):
        return {k: _expand_env(v, env, loc + (str(k),), problems, used) for k, v in data.items()}
    if isinstance(data, list):
        return [_expand_env(v, env, loc + (i,), problems, used) for i, v in enumerate(data)]
    if isinstance(data, str) and "${" in data:
        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in env:
                used.append(env[name])
                return env[name]
            if default is not None:
                return default
            problems.append(Problem(loc, f"environment variable {name} is not set"))
            return ""
        return _ENV_RE.sub(sub, data)
    return data


def _apply_overrides(data: dict[str, Any], env: Mapping[str, str]) -> None:
    """Apply ONESTOP__SERVICE__PORT=9000-style variables to mapping keys (lists are not addressable)."""
    for name, value in sorted(env.items()):
        if not name.startswith(OVERRIDE_PREFIX):
            continue
        keys = [k.lower() for k in name[len(OVERRIDE_PREFIX):].split("__") if k]
        target = data
        for k in keys[:-1]:
            target = target.setdefault(k, {}) if isinstance(target, dict) else target
        if isinstance(target, dict) and keys:
            target[keys[-1]] = yaml.safe_load(value) if value else value


def _pydantic_loc(err: Mapping[str, Any]) -> Loc:
    # Discriminated-union errors add the tag ('long_queue') to the path; keep only real keys and indices.
    return tuple(p for p in err["loc"] if not (isinstance(p, str) and p in
                                              ("long_queue", "counter_unstaffed", "long_service", "camera_down",
                                               "camera_moved")))


def _message(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    if err.get("type") == "extra_forbidden":
        return "unknown field (check spelling; see `onestop-monitor check-config --help`)"
    if err.get("type") == "missing":
        return "field required"
    return msg.removeprefix("Value error, ")


def load_config_text(text: str, *, source: str = "<config>", path: Path | None = None,
                     env: Mapping[str, str] | None = None, texts: Mapping[Path, str] | None = None) -> LoadedConfig:
    """Validate config text; raise ConfigError naming every bad field with its line (and file, for site files).

    ``texts`` maps resolved paths of sites_dir files to text used instead of what is on disk (the zone editor
    validates a change before writing it).
    """
    env = os.environ if env is None else env
    root, data = parse_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, [Issue("", 1, "the file must be a mapping with a 'sites' list")])
    n_inline = len(data["sites"]) if isinstance(data.get("sites"), list) else 0
    site_files = read_site_files(data, root, source, path, texts or {})
    problems: list[Problem] = check_plain_passwords(data)
    expanded: list[str] = []
    data = _expand_env(data, env, (), problems, expanded)
    _apply_overrides(data, env)
    # Values that came from the environment may be secrets; a validator echoing one must not print it.
    hidden = sorted({v for v in expanded if len(v) >= 4}, key=len, reverse=True)

    def scrub(msg: str) -> str:
        for v in hidden:
            msg = msg.replace(v, "***")
        return msg

    def to_issue(p: Problem) -> Issue:
        loc = p.loc
        if len(loc) >= 2 and loc[0] == "sites" and isinstance(loc[1], int) and loc[1] >= n_inline \
                and loc[1] - n_inline < len(site_files):
            # A site of sites_dir: the line and path inside its own file.
            f = site_files[loc[1] - n_inline]
            return Issue(format_loc(loc[2:]), line_of(f.root, loc[2:]), scrub(p.message), p.warning, str(f.path))
        return Issue(format_loc(loc), line_of(root, loc), scrub(p.message), p.warning)

    def to_issues(items: list[Problem]) -> list[Issue]:
        return [to_issue(p) for p in items]

    try:
        cfg = AppConfig.model_validate(data)
    except ValidationError as exc:
        problems += [Problem(_pydantic_loc(e), _message(e)) for e in exc.errors()]
        raise ConfigError(source, to_issues(problems)) from None
    problems += run_checks(cfg)
    issues = to_issues(problems)
    if any(not i.warning for i in issues):
        raise ConfigError(source, issues)
    if path is not None and not cfg.service.state_dir.is_absolute():
        service = cfg.service.model_copy(update={"state_dir": (path.parent / cfg.service.state_dir).resolve()})
        cfg = cfg.model_copy(update={"service": service})
    files = {cfg.sites[n_inline + k].id: f.path for k, f in enumerate(site_files)}
    return LoadedConfig(cfg, path, [i for i in issues if i.warning], files)


def load_config(path: str | Path, env: Mapping[str, str] | None = None,
                texts: Mapping[Path, str] | None = None) -> LoadedConfig:
    """Read and validate a YAML config file (and the site files of its sites_dir).

    ``texts`` maps resolved file paths (the main file or site files) to text used instead of the file's content.
    """
    p = Path(path)
    texts = texts or {}
    try:
        text = texts[p.resolve()] if p.resolve() in texts else p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(p), [Issue("", None, f"cannot read config: {exc.strerror or exc}")]) from None
    return load_config_text(text, source=str(p), path=p, env=env, texts=texts)
