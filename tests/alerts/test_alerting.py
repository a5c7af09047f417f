"""Alerting: state kept across restart and hot reload, metrics, queries, no loss when a write fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.alerting import Alerting, UnknownTarget
from monitor.metrics import Metrics
from tests.alerts.helpers import TUESDAY_8AM, make_site, minutes, snap
from tests.support.webhook_receiver import WebhookReceiver

QUEUE = {"kind": "long_queue", "zone": "waiting", "min_people": 5, "for": "10m", "clear_after": 0}
CAMERA = {"kind": "camera_down", "camera": "hall-1", "for": "5m"}


def site(rx: WebhookReceiver, rules: list, **kw: Any) -> Any:
    return make_site(rules, [{"id": "supervisors", "url": rx.url()}], retry_initial=0.05, **kw)


def feed(svc: Alerting, first: int, last: int, **kw: Any) -> list:
    return [n for m in range(first, last + 1) for n in svc.process(snap(TUESDAY_8AM + minutes(m), **kw))]


def firing_gauge(svc: Alerting, rule: str) -> float | None:
    return svc.metrics.registry.get_sample_value("onestop_alerts_firing", {"rule": rule, "site": "coc-leu"})


def test_restart_keeps_rule_state(tmp_path: Path, receiver: WebhookReceiver) -> None:
    svc = Alerting([site(receiver, [QUEUE])], tmp_path, Metrics())
    assert [n.status for n in feed(svc, 0, 12, queue=6)] == ["firing"]
    svc.close()
    again = Alerting([site(receiver, [QUEUE])], tmp_path, Metrics())
    assert firing_gauge(again, "long_queue:waiting") == 1
    # Still firing after the restart: no second firing; it resolves normally.
    assert [n.status for n in feed(again, 13, 14, queue=6) + feed(again, 15, 16, queue=0)] == ["resolved"]
    assert again.flush(10)
    assert [r.json()["status"] for r in receiver.acked()] == ["firing", "resolved"]
    assert firing_gauge(again, "long_queue:waiting") == 0


def test_hot_reload_keeps_unchanged_rules_and_resolves_changed_ones(tmp_path: Path,
                                                                     receiver: WebhookReceiver) -> None:
    svc = Alerting([site(receiver, [QUEUE, CAMERA])], tmp_path, Metrics())
    fired = feed(svc, 0, 12, queue=6, camera_up=False)
    assert sorted(n.rule for n in fired) == ["camera_down:hall-1", "long_queue:waiting"]
    svc.update_sites([site(receiver, [QUEUE, {**CAMERA, "for": "10m"}], repeat_every=7200)])
    assert feed(svc, 13, 14, queue=6, camera_up=False) == []  # the queue alert kept its state: no re-fire
    assert {a.rule: a.phase for a in svc.active()} == {"long_queue:waiting": "firing",
                                                       "camera_down:hall-1": "pending"}
    svc.update_sites([site(receiver, [])])
    assert svc.active() == [] and firing_gauge(svc, "long_queue:waiting") is None
    assert svc.flush(10)
    got = [(r.json()["rule"], r.json()["status"], r.json()["reason"]) for r in receiver.acked()]
    assert ("camera_down:hall-1", "resolved", "config_changed") in got
    assert ("long_queue:waiting", "resolved", "config_changed") in got
    assert len(got) == 4


def test_recent_and_active_queries(tmp_path: Path, receiver: WebhookReceiver) -> None:
    svc = Alerting([site(receiver, [QUEUE])], tmp_path, Metrics())
    feed(svc, 0, 20, queue=6)
    feed(svc, 21, 22, queue=0)
    feed(svc, 23, 30, queue=6)
    assert [a.phase for a in svc.active("coc-leu")] == ["pending"] and svc.active("elsewhere") == []
    recent = svc.recent()
    assert [r.notification.status for r in recent] == ["resolved", "firing"]
    assert [r.deliveries[0].state for r in recent] == ["pending", "pending"]
    assert [r.notification.status for r in svc.recent(status="firing")] == ["firing"]
    assert svc.recent(rule="nope") == [] and len(svc.recent(limit=1)) == 1
    with pytest.raises(ValueError):
        svc.recent(status="bogus")


def test_send_test_unknown_site_or_target(tmp_path: Path, receiver: WebhookReceiver) -> None:
    svc = Alerting([site(receiver, [])], tmp_path, Metrics())
    with pytest.raises(UnknownTarget, match="unknown site 'x'"):
        svc.send_test("x", "supervisors")
    with pytest.raises(UnknownTarget, match="no webhook target 'nope'"):
        svc.send_test("coc-leu", "nope")


def test_failed_outbox_write_loses_nothing(tmp_path: Path, receiver: WebhookReceiver,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    svc = Alerting([site(receiver, [{**QUEUE, "for": 0}])], tmp_path, Metrics())
    real = svc.outbox.enqueue
    calls = {"n": 0}

    def failing_once(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(svc.outbox, "enqueue", failing_once)
    with pytest.raises(OSError):
        svc.process(snap(TUESDAY_8AM, queue=6))
    # The rule book was rewound: the next snapshot produces the same firing notification again.
    (n,) = svc.process(snap(TUESDAY_8AM + minutes(1), queue=6))
    assert n.status == "firing" and n.seq == 0
    assert svc.flush(10) and len(receiver.acked()) == 1


def test_unknown_site_snapshot_is_ignored(tmp_path: Path, receiver: WebhookReceiver) -> None:
    svc = Alerting([site(receiver, [QUEUE])], tmp_path, Metrics())
    other = snap(TUESDAY_8AM, queue=9)
    assert svc.process(type(other)("elsewhere", other.at, True)) == []


ISSUE_EXAMPLE = """
sites:
  - id: coc-leu
    name: Phường Cốc Lếu
    counters: [{id: desk-1, name: "Quầy 1"}]
    cameras:
      - id: hall-1
        url: rtsp://cam/1
        zones:
          - {id: waiting, kind: queue, polygon: [[0, 0.5], [0.5, 0.5], [0.5, 1]]}
          - {id: front-1, kind: service, counter: desk-1, polygon: [[0.5, 0.5], [1, 0.5], [1, 1]]}
          - {id: seat-1, kind: staff, counter: desk-1, polygon: [[0.5, 0], [1, 0], [1, 0.5]]}
    alerts:
      webhooks:
        - {id: supervisors, url: "http://127.0.0.1:9009/hook", secret_env: ONESTOP_WEBHOOK_SECRET}
      rules:
        - {kind: long_queue, zone: waiting, min_people: 5, for: 10m}
        - {kind: counter_unstaffed, counter: desk-1, for: 15m, only_when_waiting: true}
        - {kind: long_service, counter: desk-1, for: 12m}
        - {kind: camera_down, camera: hall-1, for: 5m}
"""


def test_issue_example_config_works(tmp_path: Path) -> None:
    from monitor.config import load_config_text

    cfg = load_config_text(ISSUE_EXAMPLE, env={"ONESTOP_WEBHOOK_SECRET": "x"}).config
    svc = Alerting(cfg.sites, tmp_path, Metrics(), env={"ONESTOP_WEBHOOK_SECRET": "x"})
    out = [n for m in range(0, 20)
           for n in svc.process(snap(TUESDAY_8AM + minutes(m), queue=6, staffed=False, session=m * 60.0))]
    assert sorted((n.rule, n.status) for n in out) == [
        ("counter_unstaffed:desk-1", "firing"), ("long_queue:waiting", "firing"),
        ("long_service:desk-1", "firing")]
    assert len(svc.outbox.deliveries()) == 3
