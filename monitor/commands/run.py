"""run: the daemon — sample cameras, serve the API and /metrics, send alerts, until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn

from .. import __version__
from ..logs import setup_logging
from ._common import load_detectors, load_or_report

NAME = "run"
HELP = "run the service: sample cameras, serve the HTTP API and /metrics, send alerts"
DESCRIPTION = """Run the monitoring daemon.

Loads the config (exits 2 with every error listed if it is invalid), loads the model, opens every camera,
and serves the HTTP API with /metrics, /healthz, /readyz and /docs on 127.0.0.1:8000 unless --host/--port
or service.host/port say otherwise. Logs one JSON line per event to stdout. SIGTERM or SIGINT stops it
gracefully; SIGHUP reloads the config."""

log = logging.getLogger("monitor.run")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("--config", "-c", required=True, help="YAML config file")
    p.add_argument("--host", help="listen address (default: service.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default: service.port, 8000)")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="override service.log_level")


class _Server(uvicorn.Server):
    """uvicorn's Server without its own signal capture.

    uvicorn re-raises SIGTERM after shutdown, which would kill the process before the engine and the alert outbox
    are closed; our handlers ask it to exit instead.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signal handling to run()."""
        yield


def _alert_service(loaded: Any, metrics: Any) -> Any:
    try:
        from ..alerts.service import AlertService
    except ImportError:
        return None
    cfg = loaded.config
    return AlertService(cfg.sites, cfg.service.state_dir, metrics)


def run(args: argparse.Namespace) -> int:
    """Start everything and block until stopped; return the exit status."""
    loaded = load_or_report(args.config)
    if loaded is None:
        return 2
    cfg = loaded.config
    setup_logging(args.log_level or cfg.service.log_level)
    for w in loaded.warnings:
        log.warning("config warning", extra={"issue": str(w)})
    state_dir = cfg.service.state_dir
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.error("cannot create state directory", extra={"path": str(state_dir), "error": str(exc)})
        return 2

    from ..api.app import create_app
    from ..api.deps import Services
    from ..detect.models import ModelError
    from ..metrics import Metrics
    from ..pipeline.engine import Engine

    metrics = Metrics()
    cameras = [c for s in cfg.sites for c in s.cameras if c.enabled]
    try:
        detectors = load_detectors(loaded, cameras,
                                   on_batch=lambda name, s, n: metrics.inference_seconds.labels(name).observe(s))
    except (ModelError, RuntimeError, ValueError) as exc:
        log.error("cannot load the model", extra={"error": str(exc)})
        return 2
    metrics.build_info.labels(__version__, cfg.detector.model).set(1)
    alerts = _alert_service(loaded, metrics)
    engine = Engine(loaded, detectors, metrics, alerts=alerts)
    services = Services(config=loaded, metrics=metrics, engine=engine, alerts=alerts)
    app = create_app(services)
    host = args.host or cfg.service.host
    port = args.port or cfg.service.port
    server = _Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off"))

    def on_stop(signum: int, frame: Any) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        server.should_exit = True

    reload_lock = threading.Lock()

    def on_hup(signum: int, frame: Any) -> None:
        reloader = services.reload
        if reloader is None:
            log.warning("SIGHUP ignored: reload not available")
            return
        with reload_lock:
            errors = reloader()
        if errors:
            log.error("reload rejected; running config kept", extra={"errors": "; ".join(errors)})

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_hup)
    if alerts is not None:
        alerts.start()
    engine.start()
    log.info("serving", extra={"host": host, "port": port, "version": __version__})
    try:
        server.run()
    finally:
        engine.stop()
        if alerts is not None:
            alerts.stop()
    if not server.started:
        log.error("HTTP server did not start (port in use?)", extra={"host": host, "port": port})
        return 1
    log.info("stopped")
    return 0


