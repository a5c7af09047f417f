"""Start a real `onestop-monitor run` process on a free loopback port and talk to it over HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.5, what: str = "condition") -> Any:
    """Poll predicate until it returns something truthy; raise AssertionError after timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except (httpx.HTTPError, KeyError, StopIteration) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}")


def metric_value(text: str, name: str, **labels: str) -> float | None:
    """Return the value of one sample of the Prometheus text, or None when absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


class MonitorProcess:
    """`onestop-monitor run --config <tmp>/config.yaml` with stdout captured to a file."""

    def __init__(self, config: dict[str, Any], workdir: Path, env: dict[str, str] | None = None, *,
                 python: str = sys.executable, args: list[str] | None = None) -> None:
        """Write the config (free port, state dir in workdir); ``python``/``args``: another venv, extra options."""
        self.python, self.args = python, list(args or [])
        self.port = free_port()
        config = dict(config)
        config.setdefault("service", {})
        config["service"] = {**config["service"], "port": self.port, "host": "127.0.0.1"}
        config["service"].setdefault("state_dir", str(workdir / "state"))
        self.config_path = workdir / "config.yaml"
        self.config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
        self.log_path = workdir / "service.log"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 120.0) -> MonitorProcess:
        """Start the process and wait for /readyz."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([self.python, "-m", "monitor", "run", "--config", str(self.config_path),
                                      *self.args],
                                     stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        wait_until(lambda: self._alive() and httpx.get(self.base + "/readyz", timeout=2).status_code == 200,
                   ready_timeout, what=f"service ready (log: {self.log_tail()})")
        return self

    def _alive(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"service exited with {self.proc.returncode}: {self.log_tail()}")
        return True

    def get(self, path: str, **kw: Any) -> httpx.Response:
        """GET a path of the service."""
        return httpx.get(self.base + path, timeout=10, **kw)

    def metrics(self) -> str:
        """Return the /metrics text."""
        return self.get("/metrics").text

    def status(self) -> dict[str, Any]:
        """Return /api/v1/status as JSON."""
        return self.get("/api/v1/status").json()

    def zone(self, zone_id: str) -> dict[str, Any]:
        """Return one zone of the status."""
        return next(z for s in self.status()["sites"] for z in s["zones"] if z["id"] == zone_id)

    def log_tail(self, chars: int = 3000) -> str:
        """Return the end of the process output."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Signal the process and return its exit status."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)
