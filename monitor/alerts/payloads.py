"""Webhook bodies (our JSON, or Prometheus Alertmanager's webhook format) and the HMAC signature header."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from .notification import Notification, iso_local

SIGNATURE_HEADER = "X-Onestop-Signature"
KEY_HEADER = "Idempotency-Key"
# Alertmanager writes the zero time.Time of Go for "not ended yet".
_GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_ALERTNAMES = {"long_queue": "OnestopLongQueue", "counter_unstaffed": "OnestopCounterUnstaffed",
               "long_service": "OnestopLongService", "camera_down": "OnestopCameraDown",
               "camera_moved": "OnestopCameraMoved",
               "test": "OnestopTest", "daily_summary": "OnestopDailySummary"}


def onestop_payload(n: Notification) -> dict[str, Any]:
    """Return our JSON body: status, bilingual summary, site, subject, values, site-local ISO times, key."""
    return {
        "version": "1",
        "source": "onestop-monitor",
        "key": n.key,
        "status": n.status,
        "rule": n.rule,
        "kind": n.kind,
        "severity": n.severity,
        "site": {"id": n.site, "name": n.site_name, "province": n.province},
        "zone": n.subject.get("zone"),
        "counter": n.subject.get("counter"),
        "camera": n.subject.get("camera"),
        "values": n.values,
        "summary": {"vi": n.summary_vi, "en": n.summary_en},
        "at": iso_local(n.at, n.timezone),
        "starts_at": iso_local(n.starts_at, n.timezone),
        "ends_at": iso_local(n.ends_at, n.timezone),
        "sequence": n.seq,
        "reason": n.reason,
    }


def rfc3339_utc(ts: float | None) -> str:
    """Return a unix time as Alertmanager writes it (UTC, 'Z'); None gives Go's zero time."""
    if ts is None:
        return _GO_ZERO_TIME
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fingerprint(labels: dict[str, str]) -> str:
    """Return Prometheus' label-set fingerprint (FNV-1a 64 over sorted name/value pairs), as 16 hex digits.

    Same algorithm as prometheus/common model.LabelSet.Fingerprint, so receivers that dedupe on it agree.
    """
    h = 14695981039346656037
    for name in sorted(labels):
        for part in (name, labels[name]):
            for b in part.encode("utf-8") + b"\xff":
                h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def _labels_text(labels: dict[str, str]) -> str:
    pairs = (f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(labels.items()))
    return "{" + ", ".join(pairs) + "}"


def alertmanager_payload(n: Notification, receiver: str) -> dict[str, Any]:
    """Return the body Alertmanager's webhook receiver sends (version "4") for one notification.

    Tests and daily summaries go out as firing alerts of severity 'info' (OnestopTest, OnestopDailySummary).
    """
    am_status = "resolved" if n.status == "resolved" else "firing"
    labels = {"alertname": _ALERTNAMES.get(n.kind, "Onestop"), "site": n.site, "rule": n.rule, "kind": n.kind,
              "severity": n.severity, **{k: v for k, v in n.subject.items() if v}}
    if n.province:
        labels["province"] = n.province
    annotations = {"summary": n.summary_en, "summary_vi": n.summary_vi, "site_name": n.site_name,
                   "idempotency_key": n.key,
                   "values": json.dumps(n.values, ensure_ascii=False, sort_keys=True, default=str)}
    starts = n.starts_at if n.starts_at is not None else n.at
    alert = {"status": am_status, "labels": labels, "annotations": annotations,
             "startsAt": rfc3339_utc(starts),
             "endsAt": rfc3339_utc(n.ends_at if am_status == "resolved" else None),
             "generatorURL": "", "fingerprint": fingerprint(labels)}
    group = {"alertname": labels["alertname"], "site": n.site}
    return {
        "version": "4",
        "groupKey": "{}:" + _labels_text(group),
        "truncatedAlerts": 0,
        "status": am_status,
        "receiver": receiver,
        "groupLabels": group,
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": [alert],
    }


def render_body(n: Notification, fmt: str, receiver: str) -> bytes:
    """Return the request body for a target of format 'onestop' or 'alertmanager' (UTF-8 JSON)."""
    payload = alertmanager_payload(n, receiver) if fmt == "alertmanager" else onestop_payload(n)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def sign(secret: str, body: bytes, t: int) -> str:
    """Return the signature header value ``t=<unix>,v1=<hex hmac-sha256 of f"{t}." + body>``.

    >>> sign("k", b"{}", 1700000000)[:13]
    't=1700000000,'
    """
    mac = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float, tolerance_s: float = 300.0) -> bool:
    """Return whether a signature header is valid for the body and recent (what a receiver checks)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - t) > tolerance_s:
        return False
    expected = sign(secret, body, t).split(",v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
