"""Helpers of the deploy tests: the shipped files, their PromQL, real Prometheus and Alertmanager."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx
import yaml

from monitor.metrics import Metrics
from tests.support.paths import REPO
from tests.support.process import free_port, wait_until

DEPLOY = REPO / "deploy"
PROM_DIR = DEPLOY / "prometheus"
RULE_FILES = sorted((PROM_DIR / "rules").glob("*.yml"))
DASHBOARD_FILES = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DS_VAR = {"type": "prometheus", "uid": "${datasource}"}
# Grafana's own variables and the values the tests give them (Grafana derives them from the time range).
BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "1d"}
VAR_RE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+)|\[\[(\w+)\]\])")
LABEL_VALUES_RE = re.compile(r"^label_values\((?:(.*),\s*)?(\w+)\)$", re.S)


def tool(name: str) -> str:
    """Return the path of a Debian tool the tests need, or fail saying how to install it."""
    path = shutil.which(name)
    if path is None:
        import pytest

        pytest.fail(f"{name} is missing: run scripts/install-system-deps.sh (Debian packages prometheus, "
                    "prometheus-alertmanager, docker-compose, systemd)")
    return path


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output as text."""
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300)


# --- the shipped files ------------------------------------------------------------------------------------

def rule_groups() -> Iterator[tuple[Path, dict[str, Any]]]:
    """Yield (file, group) for every rule group shipped in deploy/prometheus/rules."""
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            yield path, group


def rules() -> list[dict[str, Any]]:
    """Return every recording and alerting rule."""
    return [r for _, g in rule_groups() for r in g["rules"]]


def exported_names() -> set[str]:
    """Return every series name the service exports (counters with _total, histograms with their parts)."""
    names = set()
    for family in Metrics().registry.collect():
        if family.type == "counter":
            names |= {family.name + "_total", family.name + "_created"}
        elif family.type == "histogram":
            names |= {family.name + s for s in ("_bucket", "_sum", "_count", "_created")}
        else:
            names.add(family.name)
    return names


def recorded_names() -> set[str]:
    """Return the names the recording rules write."""
    return {r["record"] for r in rules() if "record" in r}


def series_names(expr: str) -> set[str]:
    """Return the metric names an expression selects (onestop_* and recorded level:metric:op names)."""
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values are not names
    return set(re.findall(r"\b(onestop[_:][a-z0-9_:]*[a-z0-9_])", code))


def dashboards() -> list[dict[str, Any]]:
    """Return the dashboard JSON documents."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in DASHBOARD_FILES]


def panels(dash: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every panel, including those nested in rows."""
    for p in dash.get("panels", []):
        yield p
        yield from p.get("panels", [])


def variables_used(text: str) -> set[str]:
    """Return the names of the $variables in a text."""
    return {next(g for g in m.groups() if g) for m in VAR_RE.finditer(text)}


def substitute(expr: str, values: dict[str, str]) -> str:
    """Replace $var, ${var} and [[var]] by their values; unknown names are an error."""
    def one(m: re.Match[str]) -> str:
        name = next(g for g in m.groups() if g)
        if name not in values:
            raise KeyError(f"no value for ${name} in {expr!r}")
        return values[name]

    return VAR_RE.sub(one, expr)


def regex_value(values: list[str]) -> str:
    """Format values as Grafana does for a multi-value variable in a Prometheus regex."""
    escaped = [re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\\\1", v).replace('"', '\\"') for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


@dataclass(frozen=True)
class Expr:
    """One PromQL expression of a shipped file: where it comes from and how Grafana or Prometheus runs it."""

    where: str
    expr: str
    kind: str  # recording | alerting | panel-range | panel-instant


def rule_exprs() -> list[Expr]:
    """Return the expression of every rule."""
    out = []
    for path, group in rule_groups():
        for r in group["rules"]:
            kind = "recording" if "record" in r else "alerting"
            out.append(Expr(f"{path.name}: {r.get('record') or r.get('alert')}", r["expr"], kind))
    return out


def panel_exprs(dash: dict[str, Any], values: dict[str, str]) -> list[Expr]:
    """Return every target expression of a dashboard with its variables substituted."""
    out = []
    for p in panels(dash):
        for t in p.get("targets", []):
            kind = "panel-instant" if t.get("instant") and not t.get("range") else "panel-range"
            where = f"{dash['uid']} / {p['title']} / {t['refId']}"
            out.append(Expr(where, substitute(t["expr"], values), kind))
    return out


def dockerfile_instructions() -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


# --- real processes -----------------------------------------------------------------------------------------

class _Daemon:
    """A Debian daemon on a free loopback port, its log in the work folder; `start` waits until it is ready."""

    name = ""
    ready_timeout = 30.0

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{self.name}.log"

    def command(self) -> list[str]:
        """Return the daemon's command line."""
        raise NotImplementedError

    def start(self) -> Self:
        """Start and wait until ready."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT)
        wait_until(lambda: self._alive() and httpx.get(self.base + "/-/ready", timeout=2).status_code == 200,
                   self.ready_timeout, what=f"{self.name} ready ({self.log_path})")
        return self

    def _alive(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited: {self.log_path.read_text(errors='replace')[-2000:]}")
        return True

    def stop(self) -> None:
        """Stop the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self._log.close()


class Prometheus(_Daemon):
    """Debian's Prometheus on a free loopback port with its data in a temporary folder."""

    name = "prometheus"
    ready_timeout = 60.0

    def __init__(self, config_dir: Path, workdir: Path) -> None:
        self.config_dir = config_dir
        super().__init__(workdir)

    def command(self) -> list[str]:
        """Return Prometheus's command line: the test's config, a day's retention."""
        return [tool("prometheus"), f"--config.file={self.config_dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.workdir / 'tsdb'}", f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1d", "--log.level=warn"]

    def api(self, path: str, **params: Any) -> Any:
        """GET /api/v1/<path>; return its data, raising on an error status."""
        r = httpx.get(f"{self.base}/api/v1/{path}", params=params, timeout=30)
        body = r.json()
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """Evaluate an instant query (at a Unix time, or now); return the samples (a scalar as one sample)."""
        data = self.api("query", query=expr, **({"time": f"{at:.3f}"} if at is not None else {}))
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def query_range(self, expr: str, start: float, end: float, step: float = 1.0) -> list[dict[str, Any]]:
        """Evaluate a range query; return the series."""
        data = self.api("query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=step)
        return list(data["result"])

    def value(self, expr: str) -> float | None:
        """Return the single value of a query, or None when it is empty."""
        res = self.query(expr)
        return float(res[0]["value"][1]) if res else None


class Alertmanager(_Daemon):
    """Debian's Alertmanager on a free loopback port, clustering off."""

    name = "alertmanager"

    def __init__(self, config: Path, workdir: Path) -> None:
        self.config = config
        super().__init__(workdir)

    def command(self) -> list[str]:
        """Return Alertmanager's command line."""
        return [tool("prometheus-alertmanager"), f"--config.file={self.config}",
                f"--storage.path={self.workdir / 'am-data'}", f"--web.listen-address=127.0.0.1:{self.port}",
                # An empty cluster address turns high-availability gossip off (it would listen on 0.0.0.0:9094).
                "--cluster.listen-address=", "--log.level=warn"]


def test_prometheus_dir(dest: Path, monitor_targets: list[str], alertmanager: str, *, interval: str = "1s",
                        alert_for: str | None = None) -> Path:
    """Copy deploy/prometheus to dest with the test's targets and short intervals.

    Only what a test must change is changed: scrape/evaluation intervals, rule group intervals, the target
    files and (optionally) every alert's `for`. Thresholds come from the service's own metrics.
    """
    shutil.copytree(PROM_DIR, dest, ignore=shutil.ignore_patterns("tests"))
    cfg = (dest / "prometheus.yml").read_text(encoding="utf-8")
    cfg = re.sub(r"(scrape_interval|evaluation_interval): \S+", rf"\1: {interval}", cfg)
    (dest / "prometheus.yml").write_text(cfg, encoding="utf-8")
    (dest / "targets" / "onestop-monitor.yml").write_text(yaml.safe_dump([{"targets": monitor_targets}]))
    (dest / "targets" / "alertmanager.yml").write_text(yaml.safe_dump([{"targets": [alertmanager]}]))
    for path in (dest / "rules").glob("*.yml"):
        text = re.sub(r"^(\s+)interval: \S+$", rf"\1interval: {interval}", path.read_text(encoding="utf-8"),
                      flags=re.M)
        if alert_for is not None:
            text = re.sub(r"^(\s+)for: \S+$", rf"\1for: {alert_for}", text, flags=re.M)
        path.write_text(text, encoding="utf-8")
    return dest


test_prometheus_dir.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 1.0) -> Any:
    """Poll until truthy (see tests.support.process.wait_until); also return the time it held."""
    result = wait_until(predicate, timeout, interval=interval, what=what)
    return result, time.time()
