"""A real service in-process for API tests: config file, Engine over image sources, alerting, FastAPI app."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI

from monitor.alerts.alerting import Alerting
from monitor.api.app import create_app
from monitor.api.auth import access_secrets, load_file_tokens
from monitor.api.deps import AppParts
from monitor.config import DetectorConfig, load_config
from monitor.detect import build_detectors
from monitor.detect.base import Detector
from monitor.metrics import Metrics
from monitor.pipeline.engine import Engine
from monitor.redact import REDACTOR
from monitor.reload import Reloader
from monitor.reports.reporting import Reporting

BUS = "package://ultralytics/assets/bus.jpg"
ZIDANE = "package://ultralytics/assets/zidane.jpg"
IMGSZ = 320  # the tests check plumbing, not accuracy: a small input keeps the shared CPUs free


def wait(cond: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll cond until it returns something truthy (its exceptions propagate); fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def load_person_detector(state_dir: Path) -> dict[str, Detector]:
    """Load the bundled person model once (tests share it through a session fixture)."""
    return build_detectors(DetectorConfig(imgsz=IMGSZ), {"person"}, state_dir)


def site(cameras: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None,
         webhooks: list[dict[str, Any]] | None = None, site_id: str = "ward-1") -> dict[str, Any]:
    """Return a site open around the clock, counter desk-1, with these cameras and alert rules."""
    return {"id": site_id, "name": "Phường Thử", "province": "Lào Cai", "hours": {"mon-sun": ["00:00-24:00"]},
            "holidays": {"country": None}, "counters": [{"id": "desk-1", "name": "Quầy 1"}],
            "cameras": cameras, "alerts": {"rules": rules or [], "webhooks": webhooks or [],
                                           "retry_initial": 0.2, "retry_max": 1.0}}


def bus_camera(cid: str = "bus", **extra: Any) -> dict[str, Any]:
    """Return bus.jpg as a camera: a queue zone over the pavement, a service zone on the left."""
    return {"id": cid, "url": BUS, "sample_every": "1s", "zones": [
        {"id": f"{cid}-queue", "kind": "queue", "polygon": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]},
        {"id": f"{cid}-front", "kind": "service", "counter": "desk-1",
         "polygon": [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]}], **extra}


def zidane_camera(cid: str = "zidane") -> dict[str, Any]:
    """Return zidane.jpg as a camera with the officer's seat on the right."""
    return {"id": cid, "url": ZIDANE, "sample_every": "1s", "zones": [
        {"id": f"{cid}-staff", "kind": "staff", "counter": "desk-1", "anchor": "head",
         "polygon": [[0.6, 0], [1, 0], [1, 1], [0.6, 1]]}]}


def write_config(path: Path, config: dict[str, Any]) -> Path:
    """Write a config dict as YAML (the detector input size is pinned small) and return the path."""
    config = {**config, "detector": {"imgsz": IMGSZ, **config.get("detector", {})}}
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Live:
    """A running in-process service."""

    parts: AppParts
    engine: Engine
    alerts: Alerting
    app: FastAPI
    config_path: Path


@contextmanager
def live_monitor(config_path: Path, detectors: dict[str, Detector], start: bool = True) -> Iterator[Live]:
    """Run the config like `onestop-monitor run` does, minus the HTTP server; stop everything at exit."""
    loaded = load_config(config_path)
    tokens = load_file_tokens(loaded)
    REDACTOR.add(loaded.secrets() + access_secrets(loaded, tokens))
    metrics = Metrics()
    alerts = Alerting(loaded.config.sites, loaded.config.service.state_dir, metrics)
    engine = Engine(loaded, detectors, metrics, alerts=alerts)
    reports = Reporting(loaded, metrics)
    reports.attach(engine.notified, alerts)
    parts = AppParts(config=loaded, metrics=metrics, engine=engine, alerts=alerts, file_tokens=tokens,
                     reports=reports)
    parts.reload = Reloader(parts, engine, config_path)
    if start:
        alerts.start()
        engine.start()
    try:
        yield Live(parts, engine, alerts, create_app(parts), config_path)
    finally:
        engine.stop()
        reports.stop()
        alerts.close()


def private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    """Write a secrets file with the given mode."""
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path
