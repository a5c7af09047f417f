"""Checks of camera and webhook URLs: local files that must exist, passwords that belong in the environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..redact import url_secrets
from .app import AppConfig
from .problem import Loc, Problem


def _local_file(url: str) -> Path | None:
    if url.lower().startswith("file://"):
        from urllib.parse import unquote, urlsplit

        return Path(unquote(urlsplit(url).path))
    return None if "://" in url else Path(url).expanduser()


def check_source_files(cfg: AppConfig) -> list[Problem]:
    """Warn about cameras reading a local video or image file that does not exist."""
    out = []
    for i, s in enumerate(cfg.sites):
        for j, cam in enumerate(s.cameras):
            path = _local_file(cam.url)
            if path is None or not cam.enabled or path.exists():
                continue
            where = "" if path.is_absolute() else f" (relative paths are read from the current directory, {Path.cwd()})"
            out.append(Problem(("sites", i, "cameras", j, "url"),
                               f"camera {cam.id!r}: file {str(path)!r} does not exist{where}; the camera will "
                               "stay down", True))
    return out


def check_plain_passwords(raw: Mapping[str, Any]) -> list[Problem]:
    """Warn about passwords written in clear in camera or webhook URLs instead of ${VAR} (checked before expansion).

    The config file is read by people, backed up and sometimes committed; the environment is where secrets go.
    """
    out = []
    sites = raw.get("sites")
    for i, s in enumerate(sites if isinstance(sites, list) else []):
        if not isinstance(s, Mapping):
            continue
        urls: list[tuple[Loc, object]] = []
        cams = s.get("cameras")
        for j, cam in enumerate(cams if isinstance(cams, list) else []):
            if isinstance(cam, Mapping):
                urls.append((("sites", i, "cameras", j, "url"), cam.get("url")))
        alerts = s.get("alerts")
        hooks = alerts.get("webhooks") if isinstance(alerts, Mapping) else None
        for j, hook in enumerate(hooks if isinstance(hooks, list) else []):
            if isinstance(hook, Mapping):
                urls.append((("sites", i, "alerts", "webhooks", j, "url"), hook.get("url")))
        for loc, url in urls:
            if isinstance(url, str) and any("${" not in secret for secret in url_secrets(url)):
                out.append(Problem(loc, "a password is written in clear in this URL; put it in an environment "
                                        "variable instead, e.g. rtsp://viewer:${CAMERA_PASSWORD}@host/stream "
                                        "(the file is read by people, backed up and sometimes committed)", True))
    return out
