"""Webhook bodies: our bilingual JSON, the Alertmanager v4 format, and the HMAC signature."""

from __future__ import annotations

import json

from monitor.alerts.payloads import (
    alertmanager_payload,
    fingerprint,
    onestop_payload,
    render_body,
    sign,
    verify,
)
from monitor.alerts.rules import RuleBook
from tests.alerts.helpers import TUESDAY_8AM, make_site, run
from tests.support.webhook_receiver import verify_signature

QUEUE = {"kind": "long_queue", "zone": "waiting", "min_people": 5, "for": "10m", "clear_after": 0}


def episode() -> tuple:
    events = run(RuleBook(make_site([QUEUE])), TUESDAY_8AM, [(0, {"queue": 6}), (20, {"queue": 1})],
                 until_min=22)
    assert [n.status for _, n in events] == ["firing", "resolved"]
    return events[0][1], events[1][1]


def test_onestop_payload_is_bilingual_with_local_times() -> None:
    firing, _ = episode()
    body = json.loads(render_body(firing, "onestop", "supervisors").decode("utf-8"))
    assert body["status"] == "firing" and body["key"] == firing.key and body["sequence"] == 0
    assert body["site"] == {"id": "coc-leu", "name": "Phường Cốc Lếu", "province": "Lào Cai"}
    assert (body["zone"], body["camera"], body["counter"]) == ("waiting", "hall-1", None)
    assert body["summary"]["vi"].startswith("Hàng chờ dài tại khu vực 'waiting' (Phường Cốc Lếu): 6 người")
    assert body["summary"]["en"].startswith("Long queue in zone 'waiting'")
    assert body["starts_at"] == "2025-05-13T08:10:00+07:00" and body["ends_at"] is None
    assert body["values"]["people"] == 6 and body["values"]["min_people"] == 5
    # Vietnamese is sent as UTF-8, not \u escapes.
    assert "Phường".encode() in render_body(firing, "onestop", "supervisors")
    assert onestop_payload(firing) == body


def test_alertmanager_payload_shape() -> None:
    firing, resolved = episode()
    fired = alertmanager_payload(firing, "supervisors")
    assert set(fired) == {"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
                          "commonLabels", "commonAnnotations", "externalURL", "alerts"}
    assert fired["version"] == "4" and fired["status"] == "firing" and fired["receiver"] == "supervisors"
    assert fired["groupKey"] == '{}:{alertname="OnestopLongQueue", site="coc-leu"}'
    (alert,) = fired["alerts"]
    assert set(alert) == {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                          "fingerprint"}
    assert alert["labels"]["alertname"] == "OnestopLongQueue" and alert["labels"]["zone"] == "waiting"
    assert alert["startsAt"] == "2025-05-13T01:10:00.000Z" and alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert alert["annotations"]["summary_vi"] == firing.summary_vi
    assert alert["annotations"]["idempotency_key"] == firing.key
    assert alert["fingerprint"] == fingerprint(alert["labels"]) and len(alert["fingerprint"]) == 16
    done = alertmanager_payload(resolved, "supervisors")["alerts"][0]
    assert done["status"] == "resolved" and done["endsAt"] == "2025-05-13T01:20:00.000Z"
    # The same alert keeps its fingerprint from firing to resolved, as receivers expect.
    assert done["fingerprint"] == alert["fingerprint"]


def test_fingerprint_matches_prometheus() -> None:
    # Vectors from prometheus/common model/signature_test.go (TestLabelsToSignature).
    assert fingerprint({}) == f"{14695981039346656037:016x}"
    labels = {"name": "garland, briggs", "fear": "love is not enough"}
    assert fingerprint(labels) == f"{5799056148416392346:016x}"


def test_signature_round_trip_and_tamper() -> None:
    body = b'{"a":"Ph\xc6\xb0\xe1\xbb\x9dng"}'
    header = sign("s3cret", body, 1_700_000_000)
    assert verify("s3cret", body, header, now=1_700_000_100)
    assert verify_signature("s3cret", body, header, now=1_700_000_100)  # independent implementation agrees
    assert not verify("s3cret", body + b" ", header, now=1_700_000_100)
    assert not verify("other", body, header, now=1_700_000_100)
    assert not verify("s3cret", body, header, now=1_700_001_000)  # too old: replay protection
    assert not verify("s3cret", body, "garbage", now=1_700_000_000)
