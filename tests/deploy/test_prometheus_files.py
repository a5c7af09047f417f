"""The shipped Prometheus and Alertmanager files, checked and unit-tested with Debian's promtool, amtool."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.deploy.promstack import (
    DEPLOY,
    PROM_DIR,
    RULE_FILES,
    exported_names,
    recorded_names,
    rule_exprs,
    rules,
    run,
    series_names,
    tool,
)

UNIT_TESTS = sorted((PROM_DIR / "tests").glob("*.yml"))
AM_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"


def test_promtool_check_config():
    res = run(tool("promtool"), "check", "config", PROM_DIR / "prometheus.yml")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"SUCCESS: {len(RULE_FILES)} rule files found" in res.stdout + res.stderr


def test_promtool_check_rules():
    res = run(tool("promtool"), "check", "rules", *RULE_FILES)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (res.stdout + res.stderr).count("SUCCESS") == len(RULE_FILES)


def test_promtool_unit_tests_pass():
    assert len(UNIT_TESTS) >= 2
    res = run(tool("promtool"), "test", "rules", *UNIT_TESTS)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (res.stdout + res.stderr).count("SUCCESS") == len(UNIT_TESTS)


def test_unit_tests_cover_every_rule():
    exprs, alerts_seen = [], set()
    for path in UNIT_TESTS:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            exprs += [t["expr"] for t in group.get("promql_expr_test", [])]
            alerts_seen |= {t["alertname"] for t in group.get("alert_rule_test", []) if t.get("exp_alerts")}
    tested = set().union(*(series_names(e) for e in exprs))
    missing_records = recorded_names() - tested
    missing_alerts = {r["alert"] for r in rules() if "alert" in r} - alerts_seen
    assert not missing_records, f"recording rules without a promql_expr_test: {sorted(missing_records)}"
    assert not missing_alerts, f"alerting rules never expected to fire in a test: {sorted(missing_alerts)}"


def test_rules_only_read_series_that_exist():
    """Every name a rule reads is exported by the service or recorded by a rule (thresholds included)."""
    known = exported_names() | recorded_names()
    unknown = {(e.where, n) for e in rule_exprs() for n in series_names(e.expr) if n not in known}
    assert not unknown, f"rules read series nobody writes: {sorted(unknown)}"


@pytest.mark.parametrize(("file", "old", "new", "why"), [
    ("recording.yml", "25200", "0", "today counted from UTC midnight instead of Vietnam's"),
    ("recording.yml", "onestop_site_open == 1", "onestop_site_open >= 0", "queues counted when closed"),
    ("alerting.yml", "for: 15m", "for: 5m", "unstaffed counters alerted too early"),
    ("alerting.yml", ">= on (site, counter) group_left () onestop_counter_long_service_threshold_seconds",
     "> on (site, counter) group_left () onestop_counter_long_service_threshold_seconds",
     "long service alerted later than the service does"),
    ("recording.yml", "max by (site, zone) (onestop_zone_queue_threshold)", "vector(5)",
     "a fixed threshold instead of the service's"),
    ("alerting.yml", "onestop_camera_view_moved == 1", "onestop_camera_view_moved >= 0",
     "cameras shifted under their threshold alerted as moved"),
])
def test_unit_tests_catch_a_broken_rule(tmp_path: Path, file: str, old: str, new: str, why: str):
    rules_dir = tmp_path / "rules"
    shutil.copytree(PROM_DIR / "rules", rules_dir)
    shutil.copytree(PROM_DIR / "tests", tmp_path / "tests")
    target = rules_dir / file
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new), encoding="utf-8")
    res = run(tool("promtool"), "test", "rules", *sorted((tmp_path / "tests").glob("*.yml")))
    assert res.returncode != 0, f"the unit tests did not notice: {why}"


def test_alertmanager_config_is_valid():
    res = run(tool("amtool"), "check-config", AM_CONFIG)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout


@pytest.mark.parametrize(("labels", "receiver"), [
    (["alertname=OnestopCameraDown", "kind=camera_down", "site=a", "province=Hà Nội"], "it-operations"),
    (["alertname=OnestopMonitorDown", "kind=monitor_down"], "it-operations"),
    (["alertname=OnestopCameraMoved", "kind=camera_moved", "site=coc-leu", "province=Lào Cai"], "it-operations"),
    (["alertname=OnestopLongQueue", "kind=long_queue", "site=coc-leu", "province=Lào Cai"], "lao-cai-office"),
    (["alertname=OnestopCounterUnstaffed", "kind=counter_unstaffed", "province=Hà Nội"], "supervisors"),
])
def test_alertmanager_routes(labels: list[str], receiver: str):
    res = run(tool("amtool"), "config", "routes", "test", f"--config.file={AM_CONFIG}", *labels)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.split() == [receiver]


def test_alert_names_match_the_service_webhooks():
    """The service's Alertmanager-format webhooks name the same alerts, so receivers can treat both alike."""
    from monitor.alerts.payloads import _ALERTNAMES

    ours = {r["alert"]: r["labels"]["kind"] for r in rules() if "alert" in r}
    for kind in ("long_queue", "counter_unstaffed", "long_service", "camera_down", "camera_moved"):
        assert ours.get(_ALERTNAMES[kind]) == kind
