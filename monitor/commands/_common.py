"""Shared set-up for commands that run the model: config loading, offline Ultralytics, detectors."""

from __future__ import annotations

import sys

from ..config import AppConfig, CameraConfig, ConfigError, LoadedConfig, SiteConfig, load_config
from ..detect.base import BatchCallback, Detector
from ..redact import REDACTOR, redact_url


def load_or_report(path: str) -> LoadedConfig | None:
    """Load a config; on error print every issue (path, line) to stderr and return None."""
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(redact_url(f"{exc.source}: {issue}"), file=sys.stderr)
        print(f"{exc.source}: invalid config, not started", file=sys.stderr)
        return None
    REDACTOR.add(loaded.secrets())
    return loaded


def find_camera(cfg: AppConfig, camera_id: str) -> CameraConfig | None:
    """Return the camera with this id, or None (after printing the known ids)."""
    for site in cfg.sites:
        for cam in site.cameras:
            if cam.id == camera_id:
                return cam
    known = ", ".join(c.id for s in cfg.sites for c in s.cameras)
    print(f"unknown camera {camera_id!r}; cameras in the config: {known}", file=sys.stderr)
    return None


def load_camera(config_path: str, camera_id: str) -> tuple[LoadedConfig, CameraConfig] | None:
    """Load a config and find one of its cameras; print what is wrong and return None on failure."""
    loaded = load_or_report(config_path)
    if loaded is None:
        return None
    camera = find_camera(loaded.config, camera_id)
    return None if camera is None else (loaded, camera)


def site_of(cfg: AppConfig, camera_id: str) -> SiteConfig:
    """Return the site that holds a camera."""
    return next(s for s in cfg.sites if any(c.id == camera_id for c in s.cameras))


def load_detectors(loaded: LoadedConfig, cameras: list[CameraConfig],
                   on_batch: BatchCallback | None = None) -> dict[str, Detector]:
    """Prepare offline Ultralytics and load the detectors these cameras need."""
    from ..config.camera import kinds_needed
    from ..detect import build_detectors

    cfg = loaded.config
    kinds: set[str] = {"person"}
    for cam in cameras:
        kinds |= kinds_needed(cam)
    base_dir = loaded.path.parent if loaded.path is not None else None
    return build_detectors(cfg.detector, kinds, cfg.service.state_dir, base_dir=base_dir, on_batch=on_batch)
