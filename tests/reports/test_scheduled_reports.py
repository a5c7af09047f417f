"""Scheduled reports end to end: a real HTTP receiver, a real SMTP server (aiosmtpd, STARTTLS, login), kill -9.

The report of yesterday is made and committed by one process that is then killed with SIGKILL before it sends
anything; a second process delivers it to both targets and serves the signed download link.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.reports.accumulate import MinuteAccumulator
from monitor.reports.files import ReportFiles
from monitor.reports.history import HistoryStore
from tests.reports.helpers import feed
from tests.support.paths import REPO
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET, SMTP_USER, SMTP_PASSWORD = "report-hook-secret", "baocao", "smtp-pass-7c1e"
RECIPIENTS = ["lanhdao@laocai.gov.vn", "vanphong@laocai.gov.vn"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd handler that keeps every message with its envelope and whether it came over TLS."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.original_content or envelope.content,
                              "tls": session.ssl is not None, "login": session.authenticated})
        return "250 Message accepted"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == SMTP_USER.encode() and \
        data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture()
def smtp(tmp_path: Path) -> Iterator[tuple[Controller, Mailbox, Path]]:
    cert, key = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    box = Mailbox()
    ctl = Controller(box, hostname="127.0.0.1", port=free_port(), tls_context=ctx, require_starttls=True,
                     authenticator=_auth, auth_required=True)
    ctl.start()
    try:
        yield ctl, box, cert
    finally:
        ctl.stop()
        asyncio.set_event_loop(asyncio.new_event_loop())  # aiosmtpd closed its loop: leave a fresh one


def driver(config: Path, now: float, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "REPORT_HOOK_SECRET": SECRET, "SMTP_USER": SMTP_USER,
           "SMTP_PASSWORD": SMTP_PASSWORD}
    return subprocess.Popen([sys.executable, "-m", "tests.reports.schedule_driver", "--config", str(config),
                             "--now", str(now), *args], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)


def read_until(proc: subprocess.Popen[str], word: str) -> list[str]:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.startswith(word):
            return lines
    raise AssertionError(f"driver ended before {word!r}: {lines[-5:]}")


def test_report_committed_then_killed_is_delivered_once_by_webhook_and_mail(tmp_path: Path, smtp: Any) -> None:
    ctl, box, cert = smtp
    api_port = free_port()
    now = time.time()
    yesterday = dt.datetime.fromtimestamp(now, TZ).date() - dt.timedelta(days=1)
    with WebhookReceiver() as rx:
        site = {"id": "w0", "name": "Phường Số 0", "province": "Lào Cai",
                "hours": {"mon-sun": ["07:30-11:30", "13:30-17:00"]}, "holidays": {"country": None},
                "counters": [{"id": "a", "name": "Quầy A"}, {"id": "b", "name": "Quầy B"}],
                "cameras": [{"id": "c0", "url": "rtsp://cam/1", "zones": [
                    {"id": "q", "kind": "queue", "polygon": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]}]}]}
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({
            "service": {"state_dir": str(tmp_path / "state"), "port": api_port},
            "sites": [site],
            "reports": {
                "public_url": f"http://127.0.0.1:{api_port}",
                "webhooks": [{"id": "leaders", "url": rx.url("/reports"), "secret_env": "REPORT_HOOK_SECRET"}],
                "email": {"host": "127.0.0.1", "port": ctl.port, "ca_file": str(cert), "user_env": "SMTP_USER",
                          "password_env": "SMTP_PASSWORD", "sender": "baocao@laocai.gov.vn", "timeout": "10s"},
                "schedule": [{"id": "daily", "every": "day", "at": "00:00", "webhooks": ["leaders"],
                              "email_to": RECIPIENTS, "format": "xlsx"}],
                "retry_initial": "0.2s"},
        }, allow_unicode=True), encoding="utf-8")
        store = HistoryStore(tmp_path / "state")
        feed(store, MinuteAccumulator(), "w0", dt.datetime.combine(yesterday, dt.time(9), TZ), 600,
             services={100: 300.0})
        store.close()

        # 1: the schedule is first seen two days ago: nothing is due yet (a new schedule does not replay the past).
        first = driver(config, now - 2 * 86400)
        out, _ = first.communicate(timeout=120)
        assert first.returncode == 0 and "queued" in out and out.split("queued")[1].split("\n")[0].strip() == ""

        # 2: yesterday's report is made and committed; the process dies before sending anything.
        second = driver(config, now, "--hold")
        try:
            lines = read_until(second, "holding")
        finally:
            os.kill(second.pid, signal.SIGKILL)
            second.wait(10)
        keys = next(ln for ln in lines if ln.startswith("queued")).split()[1:]
        assert len(keys) == 1
        assert rx.snapshot() == [] and box.messages == []
        assert (tmp_path / "state" / "reports" / f"onestop-daily-{yesterday.isoformat()}.xlsx").is_file()

        # 3: a restarted process sends the committed rows (and makes nothing new: the period is marked sent).
        third = driver(config, now + 60, "--serve", str(api_port), "--deliver", "60", "--hold")
        try:
            lines = read_until(third, "holding")
            assert "queued" in lines and "flushed True" in lines, lines
            received = rx.snapshot()
            assert len(received) == 1 and received[0].key == keys[0]
            req = received[0]
            assert verify_signature(SECRET, req.body, req.headers["x-onestop-signature"], now=time.time())
            body = json.loads(req.body)
            assert body["kind"] == "report" and body["period"]["id"] == yesterday.isoformat()
            assert body["report"]["schema"] == "onestop-report/1"
            site_row = body["report"]["sites"][0]
            assert site_row["served"] == 1 and site_row["status"] == "open"
            assert "1 lượt phục vụ" in body["summary"]["vi"]

            assert len(box.messages) == 1
            mail = box.messages[0]
            assert mail["tls"] and mail["login"] and sorted(mail["to"]) == sorted(RECIPIENTS)
            msg = message_from_bytes(mail["data"])
            assert msg["Message-ID"] == f"<{keys[0]}@onestop-monitor>"
            attached = [p for p in msg.walk() if p.get_filename()]
            assert [p.get_filename() for p in attached] == [f"onestop-daily-{yesterday.isoformat()}.xlsx"]
            data = attached[0].get_payload(decode=True)
            assert hashlib.sha256(data).hexdigest() == body["file"]["sha256"]

            # The signed link works; a wrong signature or an expired link does not.
            url = body["file"]["url"]
            got = httpx.get(url, timeout=10)
            assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == body["file"]["sha256"]
            assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
            parts = urlsplit(url)
            name = parts.path.rsplit("/", 1)[1]
            bad = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
            assert httpx.get(bad, timeout=10).status_code == 403
            files = ReportFiles(tmp_path / "state")  # the same stored key signs an already expired link
            expired = files.link(f"http://127.0.0.1:{api_port}", name, int(time.time()) - 10)
            r = httpx.get(expired, timeout=10)
            assert r.status_code == 403 and r.json()["detail"] == "link expired"
            assert httpx.get(files.link(f"http://127.0.0.1:{api_port}", "nope.xlsx", int(time.time()) + 60),
                             timeout=10).status_code == 404
        finally:
            third.kill()
            third.wait(10)
