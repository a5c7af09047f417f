"""HTTP API of alerts: listing with filters (viewer), test notification (admin), clear 4xx errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.alerts.alerting import Alerting
from monitor.api.app import create_app
from monitor.api.deps import AppParts
from monitor.config import AppConfig, LoadedConfig, ServiceConfig
from monitor.metrics import Metrics
from tests.alerts.helpers import TUESDAY_8AM, make_site, minutes, snap
from tests.support.webhook_receiver import WebhookReceiver

QUEUE = {"kind": "long_queue", "zone": "waiting", "min_people": 5, "for": "10m", "clear_after": 0}
VIEWER, ADMIN = {"Authorization": "Bearer view-token"}, {"Authorization": "Bearer admin-token"}


@pytest.fixture
def api(tmp_path: Path, receiver: WebhookReceiver,
        monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, Alerting]:
    monkeypatch.setenv("T_VIEW", "view-token")
    monkeypatch.setenv("T_ADMIN", "admin-token")
    site = make_site([QUEUE], [{"id": "supervisors", "url": receiver.url()}], retry_initial=0.05)
    service = ServiceConfig.model_validate({"tokens": [{"name": "wall", "env": "T_VIEW", "role": "viewer"},
                                                       {"name": "ops", "env": "T_ADMIN", "role": "admin"}]})
    metrics = Metrics()
    alerts = Alerting([site], tmp_path, metrics)
    parts = AppParts(config=LoadedConfig(AppConfig(sites=[site], service=service), None), metrics=metrics,
                     engine=None, alerts=alerts)
    return TestClient(create_app(parts)), alerts


def test_list_active_and_recent_with_filters(api: tuple[TestClient, Alerting]) -> None:
    client, alerts = api
    for m in range(0, 12):
        alerts.process(snap(TUESDAY_8AM + minutes(m), queue=6))
    r = client.get("/api/v1/alerts", headers=VIEWER)
    assert r.status_code == 200, r.text
    body = r.json()
    (active,) = body["active"]
    assert active["rule"] == "long_queue:waiting" and active["phase"] == "firing" and active["notified"]
    assert active["starts_at"] == "2025-05-13T08:10:00+07:00"
    (recent,) = body["recent"]
    assert recent["status"] == "firing" and recent["summary_vi"].startswith("Hàng chờ dài")
    (delivery,) = recent["deliveries"]
    assert delivery["target"] == "supervisors" and delivery["state"] == "pending"
    assert client.get("/api/v1/alerts?status=resolved", headers=VIEWER).json()["recent"] == []
    assert client.get("/api/v1/alerts?rule=other", headers=VIEWER).json() == {"active": [], "recent": []}
    r = client.get("/api/v1/alerts", params={"site": "coc-leu", "limit": 1}, headers=VIEWER)
    assert r.status_code == 200 and len(r.json()["recent"]) == 1


def test_bad_requests_are_4xx(api: tuple[TestClient, Alerting]) -> None:
    client, _ = api
    assert client.get("/api/v1/alerts").status_code == 401
    r = client.get("/api/v1/alerts?site=nowhere", headers=VIEWER)
    assert r.status_code == 404 and "unknown site 'nowhere'" in r.json()["detail"]
    assert client.get("/api/v1/alerts?status=bogus", headers=VIEWER).status_code == 422
    assert client.get("/api/v1/alerts?limit=0", headers=VIEWER).status_code == 422
    assert client.post("/api/v1/alerts/test", json={"site": "coc-leu", "target": "supervisors"},
                       headers=VIEWER).status_code == 403
    assert client.post("/api/v1/alerts/test", json={"site": "coc-leu"}, headers=ADMIN).status_code == 422
    assert client.post("/api/v1/alerts/test", content=b"not json", headers=ADMIN).status_code == 422
    r = client.post("/api/v1/alerts/test", json={"site": "coc-leu", "target": "nope"}, headers=ADMIN)
    assert r.status_code == 404 and "no webhook target 'nope'" in r.json()["detail"]


def test_post_test_notification_is_delivered(api: tuple[TestClient, Alerting],
                                             receiver: WebhookReceiver) -> None:
    client, alerts = api
    r = client.post("/api/v1/alerts/test", json={"site": "coc-leu", "target": "supervisors"}, headers=ADMIN)
    assert r.status_code == 202, r.text
    key = r.json()["key"]
    assert alerts.flush(10)
    assert [x.key for x in receiver.acked()] == [key]
    listed = client.get("/api/v1/alerts?status=test", headers=VIEWER).json()["recent"]
    assert listed[0]["key"] == key and listed[0]["deliveries"][0]["state"] == "delivered"


def test_alerting_disabled_is_503(tmp_path: Path) -> None:
    site = make_site([])
    parts = AppParts(config=LoadedConfig(AppConfig(sites=[site]), None), metrics=Metrics(), engine=None)
    client = TestClient(create_app(parts))
    r = client.get("/api/v1/alerts")
    assert r.status_code == 503 and "not running" in r.json()["detail"]
