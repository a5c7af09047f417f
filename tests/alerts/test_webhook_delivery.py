"""Webhook delivery to a real HTTP receiver on 127.0.0.1: signature, retries, order, give-up, metrics."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from monitor.alerts.alerting import Alerting
from monitor.metrics import Metrics
from tests.alerts.helpers import TUESDAY_8AM, make_site, minutes, snap
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

QUEUE = {"kind": "long_queue", "zone": "waiting", "min_people": 5, "for": "10m", "clear_after": 0}
FAST = {"retry_initial": 0.05, "retry_max": 0.2}


def hook(rx: WebhookReceiver, **kw: Any) -> dict[str, Any]:
    return {"id": "supervisors", "url": rx.url("/hook"), "timeout": 2, **kw}


def service(tmp_path: Path, rules: list, hooks: list, env: dict | None = None, **alerts: Any) -> Alerting:
    return Alerting([make_site(rules, hooks, **{**FAST, **alerts})], tmp_path, Metrics(), env=env or {})


def fire_and_resolve(svc: Alerting) -> list:
    out = []
    for m in range(0, 25):
        out += svc.process(snap(TUESDAY_8AM + minutes(m), queue=6 if m < 20 else 0))
    assert [n.status for n in out] == ["firing", "resolved"]
    return out


def sample(svc: Alerting, name: str, **labels: str) -> float:
    value = svc.metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_signed_test_notification(tmp_path: Path, receiver: WebhookReceiver) -> None:
    env = {"ONESTOP_WEBHOOK_SECRET": "s3cret-value"}
    svc = service(tmp_path, [], [hook(receiver, secret_env="ONESTOP_WEBHOOK_SECRET")], env=env)
    key = svc.send_test("coc-leu", "supervisors")
    assert svc.flush(10)
    (req,) = receiver.snapshot()
    assert req.key == key and req.path == "/hook"
    assert verify_signature("s3cret-value", req.body, req.headers["x-onestop-signature"], time.time())
    assert not verify_signature("wrong", req.body, req.headers["x-onestop-signature"], time.time())
    body = req.json()
    assert body["status"] == "test" and body["summary"]["en"].startswith("Test notification")
    assert req.headers["content-type"].startswith("application/json")


def test_500_then_200_delivers_each_notification_once_in_order(tmp_path: Path,
                                                               receiver: WebhookReceiver) -> None:
    receiver.fail_next(3, 500)
    svc = service(tmp_path, [QUEUE], [hook(receiver)])
    firing, resolved = fire_and_resolve(svc)
    assert svc.flush(15)
    reqs = receiver.snapshot()
    assert [r.status for r in reqs] == [500, 500, 500, 200, 200]
    # Retries carry the same key and bytes; the resolution waits behind the firing (per-target order).
    assert [r.key for r in reqs] == [firing.key] * 4 + [resolved.key]
    assert len({r.body for r in reqs[:4]}) == 1
    assert [r.key for r in receiver.acked()] == [firing.key, resolved.key]
    assert not any(r.duplicate for r in reqs)
    target = "coc-leu/supervisors"
    assert sample(svc, "onestop_webhook_deliveries_total", target=target, outcome="http_error") == 3
    assert sample(svc, "onestop_webhook_deliveries_total", target=target, outcome="success") == 2
    assert sample(svc, "onestop_webhook_queue_depth") == 0
    rows = {d.key: d for d in svc.outbox.deliveries()}
    assert rows[firing.key].attempts == 4 and rows[firing.key].state == "delivered"
    assert rows[resolved.key].attempts == 1 and rows[resolved.key].last_status == 200


def test_rows_are_committed_before_any_send(tmp_path: Path, receiver: WebhookReceiver) -> None:
    svc = service(tmp_path, [QUEUE], [hook(receiver)])
    firing, _ = fire_and_resolve(svc)  # the worker is not started: nothing may have been sent
    assert receiver.snapshot() == []
    with sqlite3.connect(tmp_path / "onestop.db") as db:  # a separate connection sees committed rows
        rows = db.execute("SELECT key, state, attempts FROM deliveries ORDER BY id").fetchall()
    assert rows[0] == (firing.key, "pending", 0) and len(rows) == 2


def test_worker_thread_delivers_without_flush(tmp_path: Path, receiver: WebhookReceiver) -> None:
    svc = service(tmp_path, [QUEUE], [hook(receiver)])
    svc.start()
    try:
        fire_and_resolve(svc)
        assert receiver.wait_for(lambda reqs: len(reqs) == 2, timeout=10)
    finally:
        svc.stop()


def test_gives_up_after_max_attempts_and_keeps_row(tmp_path: Path, receiver: WebhookReceiver) -> None:
    receiver.fail_next(2, 404)
    svc = service(tmp_path, [QUEUE], [hook(receiver)], max_attempts=2)
    firing, resolved = fire_and_resolve(svc)
    assert svc.flush(10)
    rows = {d.key: d for d in svc.outbox.deliveries()}
    row = rows[firing.key]
    assert (row.state, row.attempts, row.last_status) == ("failed", 2, 404)
    assert rows[firing.key].last_error == "HTTP 404"
    assert rows[resolved.key].state == "delivered"  # a failed row no longer blocks its target


def test_timeout_and_connect_error_outcomes(tmp_path: Path, receiver: WebhookReceiver) -> None:
    receiver.hang(1.0)
    svc = service(tmp_path, [], [hook(receiver, timeout=0.2)])
    svc.send_test("coc-leu", "supervisors")
    assert not svc.flush(0.5)
    assert sample(svc, "onestop_webhook_deliveries_total", target="coc-leu/supervisors",
                  outcome="timeout") >= 1
    receiver.hang(0)
    receiver.stop()
    time.sleep(0.1)
    assert not svc.flush(0.5)
    assert sample(svc, "onestop_webhook_deliveries_total", target="coc-leu/supervisors",
                  outcome="connect_error") >= 1
    receiver.start()
    assert svc.flush(10)
    assert len({r.key for r in receiver.acked()}) == 1


def test_missing_secret_is_a_config_error_and_nothing_is_sent_unsigned(tmp_path: Path,
                                                                        receiver: WebhookReceiver) -> None:
    svc = service(tmp_path, [], [hook(receiver, secret_env="NOT_SET_ANYWHERE")])
    svc.send_test("coc-leu", "supervisors")
    assert not svc.flush(0.3)
    assert receiver.snapshot() == []
    assert sample(svc, "onestop_webhook_deliveries_total", target="coc-leu/supervisors",
                  outcome="config_error") >= 1
    assert "NOT_SET_ANYWHERE" in (svc.outbox.deliveries()[0].last_error or "")


def test_rule_filter_and_alertmanager_format(tmp_path: Path, receiver: WebhookReceiver) -> None:
    hooks = [hook(receiver, id="cameras-only", rules=["camera_down"]),
             {"id": "am", "url": receiver.url("/am"), "format": "alertmanager"}]
    svc = service(tmp_path, [QUEUE], hooks)
    firing, resolved = fire_and_resolve(svc)
    assert svc.flush(10)
    reqs = receiver.snapshot()
    assert {r.path for r in reqs} == {"/am"} and len(reqs) == 2
    bodies = [json.loads(r.body) for r in reqs]
    assert [b["status"] for b in bodies] == ["firing", "resolved"] and bodies[0]["version"] == "4"
    assert bodies[0]["receiver"] == "am"
