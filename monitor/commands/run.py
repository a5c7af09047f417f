"""run: the daemon — sample cameras, serve the API and /metrics, send alerts, until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # imported where used: `onestop-monitor --help` stays fast
    from ..alerts.alerting import Alerting
    from ..config import LoadedConfig
    from ..config.shard import Shard
    from ..metrics import Metrics
    from ..pipeline.engine import Engine
    from ..reports.reporting import Reporting

log = logging.getLogger("monitor.run")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("--config", "-c", required=True, help="YAML config file")
    p.add_argument("--host", help="listen address (default: service.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default: service.port, 8000)")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="override service.log_level")
    p.add_argument("--shard", help="run only the sites of shard I of N: 'I/N' (0-based) or 'ordinal/N' (I from a "
                                   "StatefulSet pod's hostname); default service.shard / ONESTOP__SERVICE__SHARD")


class _Server(uvicorn.Server):
    """uvicorn's Server without its own signal capture.

    uvicorn re-raises SIGTERM after shutdown, which would kill the process before the engine and the alert outbox
    are closed; our handlers ask it to exit instead.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signal handling to run()."""
        yield


def _alerting(loaded: LoadedConfig, metrics: Metrics) -> Alerting:
    from ..alerts.alerting import Alerting

    cfg = loaded.config
    return Alerting(cfg.sites, cfg.service.state_dir, metrics)


def _reporting(loaded: LoadedConfig, metrics: Metrics, engine: Engine,
               alerts: Alerting) -> Reporting | None:
    """Return the reports part (history, schedules, download files), or None when its database cannot open."""
    from ..reports.history import HistoryError
    from ..reports.reporting import Reporting

    try:
        reports = Reporting(loaded, metrics)
    except (HistoryError, OSError) as exc:
        log.error("reports disabled: cannot open the history database", extra={"error": str(exc)})
        return None
    reports.attach(engine.notified, alerts)
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


def listen_socket(host: str, port: int) -> socket.socket:
    """Bind and listen on host:port now, so a port in use is reported before anything slow starts.

    uvicorn serves on this socket (``server.run(sockets=...)``); OSError when it cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restarts reuse TIME_WAIT
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def choose_shard(args: argparse.Namespace, loaded: LoadedConfig) -> tuple[Shard | None, LoadedConfig]:
    """Return (Shard or None, the config with only that shard's sites); ShardError for a bad spec."""
    from ..config import LoadedConfig
    from ..config.shard import parse_shard, select_shard

    spec = args.shard or loaded.config.service.shard
    if not spec:
        return None, loaded
    shard = parse_shard(spec)
    return shard, LoadedConfig(select_shard(loaded.config, shard), loaded.path, loaded.warnings)


def run(args: argparse.Namespace) -> int:
    """Start everything and block until stopped; return the exit status."""
    from ..memory import limit_malloc_arenas

    limit_malloc_arenas()  # before any camera thread exists
    import cv2

    # OpenCV's own worker threads would compete with the model's for the same cores: every OpenCV call here is
    # small (letterbox, JPEG, the view check). The Ultralytics backend sets the same when it loads.
    cv2.setNumThreads(1)
    loaded = load_or_report(args.config)
    if loaded is None:
        return 2
    setup_logging(args.log_level or loaded.config.service.log_level)
    install_excepthooks()
    for w in loaded.warnings:
        log.warning("config warning", extra={"issue": str(w)})
    from ..config.shard import ShardError

    try:
        shard, loaded = choose_shard(args, loaded)
    except ShardError as exc:
        log.error("cannot use the shard", extra={"error": str(exc)})
        return 2
    cfg = loaded.config
    if shard is not None:
        log.info("running one shard of the sites", extra={"shard": str(shard), "sites": len(cfg.sites),
                                                          "site_ids": ",".join(s.id for s in cfg.sites)})
        if not cfg.sites:
            log.warning("this shard has no site: it serves an empty status until the config gains sites",
                        extra={"shard": str(shard)})
    host = args.host or cfg.service.host
    port = args.port or cfg.service.port
    try:
        sock = listen_socket(host, port)
    except OSError as exc:
        log.error(f"cannot listen on {host}:{port}: {exc.strerror or exc}; stop the program that holds it or "
                  f"choose another port (--port, service.port)", extra={"host": host, "port": port})
        return 2

    from ..api.auth import TokensFileError, access_secrets, load_file_tokens
    from ..redact import REDACTOR
    from ..reload import Reloader

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
    from ..api.deps import AppParts
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
    alerts = _alerting(loaded, metrics)
    engine = Engine(loaded, detectors, metrics, alerts=alerts)
    reports = _reporting(loaded, metrics, engine, alerts)
    parts = AppParts(config=loaded, metrics=metrics, engine=engine, alerts=alerts, file_tokens=file_tokens,
                     reports=reports, shard=shard)
    reloader = Reloader(parts, engine, Path(args.config), log_level=args.log_level, shard=shard)
    parts.reload = reloader
    if shard is not None:
        metrics.shard_info.labels(str(shard.index), str(shard.count)).set(1)
    app = create_app(parts)
    if not _is_loopback(host) and not cfg.service.auth_enabled():
        log.warning("the API listens beyond this machine without tokens: anyone on the network can read it",
                    extra={"host": host})
    server = _Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off"))

    def on_stop(signum: int, frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        server.should_exit = True

    def on_hup(signum: int, frame: FrameType | None) -> None:
        # The handler runs on the main thread, inside the HTTP server's event loop: reload elsewhere so the API
        # keeps answering while cameras stop and start. The Reloader serialises reloads and logs the outcome.
        log.info("SIGHUP: reloading the config", extra={"path": args.config})
        threading.Thread(target=reloader, name="reload", daemon=True).start()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_hup)
    alerts.start()
    if reports is not None:
        reports.start()
    engine.start()
    log.info("serving", extra={"host": host, "port": port, "version": __version__})
    try:
        server.run(sockets=[sock])
    finally:
        engine.stop()
        if reports is not None:
            reports.stop()  # after the engine: the history of the last ticks is written
        alerts.stop()
    if not server.started:
        log.error("HTTP server did not start", extra={"host": host, "port": port})
        return 1
    log.info("stopped")
    return 0


