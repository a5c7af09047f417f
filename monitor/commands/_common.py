"""Shared set-up for commands that run the model: config loading, offline Ultralytics, detectors."""

from __future__ import annotations

import sys
from pathlib import Path

from ..config import AppConfig, CameraConfig, ConfigError, LoadedConfig, load_config
from ..detect.base import Detector
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


def site_of(cfg: AppConfig, camera_id: str) -> object:
    """Return the site that holds a camera."""
    return next(s for s in cfg.sites if any(c.id == camera_id for c in s.cameras))


def load_detectors(cfg: AppConfig, cameras: list[CameraConfig], state_dir: Path,
                   on_batch: object = None) -> dict[str, Detector]:
    """Prepare offline Ultralytics and load the detectors these cameras need."""
    from ..detect.env import prepare_ultralytics_env

    prepare_ultralytics_env(state_dir)
    from ..detect import build_detectors
    from ..pipeline.analyse import kinds_needed

    kinds: set[str] = {"person"}
    for cam in cameras:
        kinds |= kinds_needed(cam)
    detectors = build_detectors(cfg.detector, kinds, state_dir)
    if on_batch is not None:
        for d in detectors.values():
            d.on_batch = on_batch  # type: ignore[assignment]
    return detectors
