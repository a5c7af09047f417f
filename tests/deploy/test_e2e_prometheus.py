"""End to end: the real service on shared footage, scraped by the real Prometheus with the shipped config and
rules, alerts routed by the real Alertmanager with the shipped config; every dashboard and rule query returns
data."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.promstack import (
    DEPLOY,
    Alertmanager,
    Expr,
    Prometheus,
    dashboards,
    dockerfile_instructions,
    panel_exprs,
    regex_value,
    rule_exprs,
    substitute,
    test_prometheus_dir,
)
from tests.support.paths import ONE_BY_ONE
from tests.support.process import MonitorProcess, free_port, wait_until
from tests.support.webhook_receiver import WebhookReceiver

# The module's processes start once, in the first test's setup: give it room beyond the default 600 s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

if not ONE_BY_ONE.is_file():
    pytest.skip(f"shared footage missing: {ONE_BY_ONE}", allow_module_level=True)

SITE, PROVINCE = "e2e", "Lào Cai"
RECEIVERS = {"9009": "supervisors", "9010": "it-operations", "9011": "lao-cai-office"}


# A camera re-aimed since its zones were drawn: its view reference (seeded by the test, see seed_reference) was
# taken on zidane.jpg's scene, and it now shows bus.jpg. The view check reads it as moved.
AIMED_ELSEWHERE: dict[str, Any] = {
    "id": "aimed", "url": "package://monitor/demo/bus.jpg", "sample_every": "1s",
    "zones": [{"id": "pavement", "kind": "queue", "polygon": [[0, 0.7], [1, 0.7], [1, 1], [0, 1]]}]}


def seed_reference(state_dir: Path) -> None:
    """Store the view reference of camera 'aimed' as if its zones had been saved while it showed zidane.jpg."""
    import cv2

    from monitor.config import CameraConfig
    from monitor.config.camera import resolve_package_url
    from monitor.view.estimate import ViewEstimator
    from monitor.view.reference import Reference, ReferenceStore, reference_key

    cam = CameraConfig.model_validate(AIMED_ELSEWHERE)
    before = cv2.imread(resolve_package_url("package://monitor/demo/zidane.jpg"))
    ref = Reference(ViewEstimator().features(before), time.time() - 3600)
    ReferenceStore(state_dir / "view").save(cam.id, reference_key(cam), ref)


def service_config(receiver: WebhookReceiver, dead_rtsp_port: int) -> dict[str, Any]:
    """The clip's room as a one-stop office open around the clock.

    Checked on frames of the clip: people walk in one at a time and stand at the high table (x 0.5-0.7) with
    their feet low in the frame (y 0.8-0.9). So the table is counter 'table': its front zone takes the feet; its
    officer is seen by a second camera (camera 'seat', always staffed), and one person at the table makes it
    'serving'. Counter 'desk-2' watches an empty corner (always unstaffed), the whole floor is a queue zone, and camera
    'gone' points at a closed loopback port (always down).
    """
    return {
        "smoothing": {"window": 3, "session_gap": 2, "min_session": "3s"},
        "sites": [{
            "id": SITE, "name": "Phòng thử e2e", "province": PROVINCE,
            "hours": {"mon-sun": ["00:00-24:00"]}, "holidays": {"country": None},
            "counters": [{"id": "table", "name": "Bàn cao"}, {"id": "desk-2", "name": "Quầy 2"}],
            "cameras": [
                {"id": "hall", "url": str(ONE_BY_ONE), "realtime": True, "loop": True, "sample_every": "1s",
                 "zones": [
                     # The whole room, counting everyone (shared: outside the one-role rule), so the queue
                     # figures have people in them: nobody in this clip queues apart from the table.
                     {"id": "floor", "kind": "queue", "shared": True, "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]},
                     {"id": "table-front", "kind": "service", "counter": "table",
                      "polygon": [[0.35, 0.55], [0.85, 0.55], [0.85, 1], [0.35, 1]]},
                     {"id": "desk-2-staff", "kind": "staff", "counter": "desk-2",
                      "polygon": [[0, 0], [0.1, 0], [0.1, 0.25], [0, 0.25]]},
                 ]},
                # Nobody ever sits behind the clip's table: a second camera watches the table's officer seat,
                # Ultralytics' zidane.jpg with a man standing in it, so services happen (they need an officer).
                {"id": "seat", "url": "package://monitor/demo/zidane.jpg", "sample_every": "1s",
                 "zones": [{"id": "table-staff", "kind": "staff", "counter": "table",
                            "polygon": [[0.6, 0], [1, 0], [1, 1], [0.6, 1]]}]},
                AIMED_ELSEWHERE,
                {"id": "gone", "url": f"rtsp://127.0.0.1:{dead_rtsp_port}/gone", "sample_every": "1s"},
            ],
            "alerts": {
                "webhooks": [{"id": "ops", "url": receiver.url("/service")}],
                "rules": [
                    {"kind": "long_queue", "zone": "floor", "min_people": 1, "for": "2s"},
                    {"kind": "counter_unstaffed", "counter": "desk-2", "for": "2s"},
                    {"kind": "long_service", "counter": "table", "for": "5s"},
                    {"kind": "camera_down", "camera": "gone", "for": "2s"},
                ],
            },
        }],
    }


@dataclass
class Stack:
    """The running processes and the instant all queries are evaluated at."""

    service: MonitorProcess
    prometheus: Prometheus
    receiver: WebhookReceiver
    started: float
    at: float = 0.0


def alertmanager_config(workdir: Path, receiver: WebhookReceiver) -> Path:
    """Return the shipped alertmanager.yml with its receivers pointed at the test receiver, waits shortened."""
    text = (DEPLOY / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8")
    text = re.sub(r"http://127\.0\.0\.1:(\d+)/alertmanager",
                  lambda m: receiver.url(f"/am/{RECEIVERS[m.group(1)]}"), text)
    text = re.sub(r"group_wait: \S+", "group_wait: 1s", text)
    text = re.sub(r"group_interval: \S+", "group_interval: 1s", text)
    path = workdir / "alertmanager.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Start the receiver, the service, Alertmanager and Prometheus; wait for data worth querying."""
    tmp = tmp_path_factory.mktemp("e2e-prometheus")
    receiver = WebhookReceiver().start()
    service = MonitorProcess(service_config(receiver, free_port()), tmp)
    seed_reference(tmp / "state")
    am = prom = None
    try:
        service.start(ready_timeout=240)
        started = time.time()
        am = Alertmanager(alertmanager_config(tmp, receiver), tmp).start()
        # A second, dead target of the job: the "monitor down" alert then has something to say.
        targets = [f"127.0.0.1:{service.port}", f"127.0.0.1:{free_port()}"]
        prom_dir = test_prometheus_dir(tmp / "prometheus", targets, f"127.0.0.1:{am.port}", interval="1s",
                                       alert_for="0s")
        prom = Prometheus(prom_dir, tmp).start()
        s = Stack(service, prom, receiver, started)
        # Two completed services seen by Prometheus (a rate needs the second), then a moment at which
        # someone is being served with a wait estimate: every figure of the dashboards exists then.
        try:
            wait_until(lambda: prom.value('sum(increase(onestop_service_seconds_count{counter="table"}[1h])) > 0'),
                       420, interval=2, what="two completed services")
            s.at = wait_until(lambda: prom.query(
                'onestop_counter_state{counter="table", state="serving"} == 1 '
                "and on (site) onestop_estimated_wait_seconds and on (site) onestop_site:queue_people:max_today")
                and time.time(), 300, interval=0.5, what="a citizen being served with a wait estimate")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nservice log: {service.log_tail(2000)}") from None
        yield s
    finally:
        for proc in (prom, am):
            if proc is not None:
                proc.stop()
        service.stop()
        receiver.stop()


def variable_values(prom: Prometheus, dash: dict[str, Any], at: float) -> dict[str, str]:
    """Resolve the dashboard's template variables from label values Prometheus returns, as Grafana does."""
    values: dict[str, str] = {"__rate_interval": "1m", "__interval": "15s", "__range": "1d"}
    for var in dash["templating"]["list"]:
        if var["type"] != "query":
            continue
        query = substitute(var["query"]["query"], values)
        m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query, re.S)
        assert m, query
        series = prom.api("series", **{"match[]": m.group(1), "start": f"{at - 300:.3f}", "end": f"{at:.3f}"})
        found = sorted({s[m.group(2)] for s in series if m.group(2) in s})
        assert found, f"{dash['uid']}: variable {var['name']} has no values ({query})"
        values[var["name"]] = regex_value(found) if var["multi"] else found[0]
    return values


def evaluate(prom: Prometheus, e: Expr, at: float, since: float) -> tuple[str, int]:
    """Return ('instant'|'range'|'empty', samples): instant at `at`; alert conditions also over the run.

    NaN samples (e.g. a quantile of no observations) count as no data.
    An alert condition is evaluated by Prometheus at every rule evaluation; one that held at some evaluation
    during the run (e.g. a service lasting long before any had completed) returned data then.
    """
    res = [r for r in prom.query(e.expr, at) if not math.isnan(float(r["value"][1]))]
    if res:
        return "instant", len(res)
    if e.kind == "alerting":
        series = prom.query_range(e.expr, since, at, step=1)
        if series:
            return "range", len(series)
    return "empty", 0


def test_every_dashboard_and_rule_query_returns_data(stack: Stack):
    exprs = list(rule_exprs())
    for dash in dashboards():
        exprs += panel_exprs(dash, variable_values(stack.prometheus, dash, stack.at))
    results = {e.where: evaluate(stack.prometheus, e, stack.at, stack.started) for e in exprs}
    print(f"\n{len(exprs)} queries evaluated at {stack.at:.0f}:")
    for where, (how, n) in results.items():
        print(f"  {how:7} {n:3}  {where}")
    empty = [w for w, (how, _) in results.items() if how == "empty"]
    assert not empty, f"queries without data: {empty}"
    assert len(exprs) >= 80


def test_recorded_figures_are_plausible(stack: Stack):
    """The recording rules give sensible numbers on the real data, not just some numbers."""
    prom, at = stack.prometheus, stack.at

    def one(expr: str) -> float:
        res = prom.query(expr, at)
        assert len(res) == 1, (expr, res)
        value = float(res[0]["value"][1])
        assert math.isfinite(value), (expr, value)
        return value

    # The seat camera's officer: staffed nearly all the time (increase() may extrapolate a hair over 1).
    assert 0.5 < one('onestop_counter:staffed:ratio_today{counter="table"}') <= 1.001
    assert one('onestop_counter:staffed:ratio_today{counter="desk-2"}') == 0
    open_today = one('onestop_counter:open_seconds:today{counter="table"}')
    assert 0.5 * (at - stack.started) < open_today <= at - stack.started + 30
    assert one('onestop_counter:served:today{counter="table"}') >= 1
    assert one(f'onestop_site:queue_people:max_today{{site="{SITE}", province="{PROVINCE}"}}') >= 1
    assert one('onestop_zone:queue_alert_threshold:people{zone="floor"}') == 1  # the service's long_queue rule
    assert one('onestop_counter_long_service_threshold_seconds{counter="table"}') == 5
    assert 0 < one('onestop_zone:queue_above_threshold:ratio_1d{zone="floor"}') <= 1
    assert one('onestop_camera:up:ratio_1d{camera="gone"}') == 0
    assert one('onestop_camera:up:ratio_1d{camera="hall"}') > 0.9


def test_alertmanager_routes_the_alerts(stack: Stack):
    """Prometheus fires the shipped alerts (durations shortened) and the shipped routes deliver them."""
    def alerts_at(path: str) -> list[dict[str, Any]]:
        return [a for r in stack.receiver.requests if r.path == path for a in r.json()["alerts"]]

    def names_at(path: str) -> set[str]:
        return {a["labels"]["alertname"] for a in alerts_at(path)}

    wait_until(lambda: {"OnestopCameraDown", "OnestopMonitorDown"} <= names_at("/am/it-operations")
               and "OnestopCounterUnstaffed" in names_at("/am/lao-cai-office"), 60,
               what="alerts delivered by Alertmanager")
    down = next(a for a in alerts_at("/am/it-operations") if a["labels"]["alertname"] == "OnestopCameraDown")
    assert down["labels"] | {"camera": "gone", "site": SITE, "province": PROVINCE, "kind": "camera_down"} \
        == down["labels"]
    assert "mất tín hiệu" in down["annotations"]["summary"]
    unstaffed = next(a for a in alerts_at("/am/lao-cai-office")
                     if a["labels"]["alertname"] == "OnestopCounterUnstaffed")
    assert unstaffed["labels"]["counter"] == "desk-2"
    # The service's own webhook got its alerts too (outcome counted in onestop_webhook_deliveries_total).
    assert any(r.path == "/service" and r.status == 200 for r in stack.receiver.requests)


def test_dockerfile_healthcheck_against_the_running_service(stack: Stack):
    checks = [a for i, a in dockerfile_instructions() if i == "HEALTHCHECK"]
    # One per image stage (full and runtime), the same probe in both.
    codes = {json.loads(health.split("CMD", 1)[1])[2] for health in checks}
    assert len(checks) == 2 and len(codes) == 1, checks
    (code,) = codes
    ok = subprocess.run([sys.executable, "-c", code], env={"ONESTOP__SERVICE__PORT": str(stack.service.port)},
                        capture_output=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    down = subprocess.run([sys.executable, "-c", code], env={"ONESTOP__SERVICE__PORT": str(free_port())},
                          capture_output=True, timeout=30)
    assert down.returncode != 0
