"""run: the daemon — sample cameras, serve the API and /metrics, send alerts, until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
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


def _report_service(loaded: Any, metrics: Any, engine: Any, alerts: Any) -> Any:
    """Return the reports part (history, schedules, download files), or None when its database cannot open."""
    from ..reports.history import HistoryError
    from ..reports.service import ReportService

    try:
        reports = ReportService(loaded, metrics)
    except (HistoryError, OSError) as exc:
        log.error("reports disabled: cannot open the history database", extra={"error": str(exc)})
        return None
    reports.attach(engine, alerts)
    return reports


def install_excepthooks() -> None:
    """Send uncaught exceptions (main thread and any other) through logging, so their tracebacks are scrubbed.

    Python's default hooks print straight to stderr, past the redacting filter; a library error message that
    quotes a camera URL would then leak its password.
    """

    def main_hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.critical("uncaught exception", exc_info=(kind, exc, tb))

    def thread_hook(hook_args: threading.ExceptHookArgs) -> None:
        if hook_args.exc_value is None or hook_args.exc_type is SystemExit:
            return
        name = hook_args.thread.name if hook_args.thread is not None else "?"
        log.error("uncaught exception in thread %s", name,
                  exc_info=(hook_args.exc_type, hook_args.exc_value, hook_args.exc_traceback))

    sys.excepthook = main_hook
    threading.excepthook = thread_hook


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def run(args: argparse.Namespace) -> int:
    """Start everything and block until stopped; return the exit status."""
    loaded = load_or_report(args.config)
    if loaded is None:
        return 2
    cfg = loaded.config
    setup_logging(args.log_level or cfg.service.log_level)
    install_excepthooks()
    for w in loaded.warnings:
        log.warning("config warning", extra={"issue": str(w)})

    from ..config.service import TokensFileError
    from ..redact import REDACTOR
    from ..reload import Reloader, access_secrets, load_file_tokens

    try:
        file_tokens = load_file_tokens(loaded)
    except TokensFileError as exc:
        log.error("cannot use the tokens file", extra={"error": str(exc)})
        return 2
    REDACTOR.add(access_secrets(loaded, file_tokens))
    auth = cfg.service.metrics_auth
    if auth is not None and not os.environ.get(auth.password_env):
        log.warning("metrics_auth password variable is not set: /metrics refuses every scrape",
                    extra={"variable": auth.password_env})
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
    services = Services(config=loaded, metrics=metrics, engine=engine, alerts=alerts, file_tokens=file_tokens)
    reports = _report_service(loaded, metrics, engine, alerts)
    if reports is not None:
        services.extra["reports"] = reports
    services.reload = Reloader(services, Path(args.config), log_level=args.log_level)
    app = create_app(services)
    host = args.host or cfg.service.host
    port = args.port or cfg.service.port
    if not _is_loopback(host) and not cfg.service.auth_enabled():
        log.warning("the API listens beyond this machine without tokens: anyone on the network can read it",
                    extra={"host": host})
    server = _Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off"))

    def on_stop(signum: int, frame: Any) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        server.should_exit = True

    def on_hup(signum: int, frame: Any) -> None:
        # The handler runs on the main thread, inside the HTTP server's event loop: reload elsewhere so the API
        # keeps answering while cameras stop and start. The Reloader serialises reloads and logs the outcome.
        log.info("SIGHUP: reloading the config", extra={"path": args.config})
        threading.Thread(target=services.reload, name="reload", daemon=True).start()  # type: ignore[arg-type]

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_hup)
    if alerts is not None:
        alerts.start()
    if reports is not None:
        reports.start()
    engine.start()
    log.info("serving", extra={"host": host, "port": port, "version": __version__})
    try:
        server.run()
    finally:
        engine.stop()
        if reports is not None:
            reports.stop()  # after the engine: the history of the last ticks is written
        if alerts is not None:
            alerts.stop()
    if not server.started:
        log.error("HTTP server did not start (port in use?)", extra={"host": host, "port": port})
        return 1
    log.info("stopped")
    return 0


