"""The outbox survives SIGKILL: a process killed mid-run and restarted loses and doubles nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.support.paths import REPO
from tests.support.webhook_receiver import WebhookReceiver

LAST_STEP = 39
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def driver(state_dir: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "tests.alerts.kill_driver", "--state-dir", str(state_dir),
                             "--url", url, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)


def read_until(proc: subprocess.Popen[str], done: object, lines: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.strip())
        if done(lines):  # type: ignore[operator]
            return
    raise AssertionError(f"driver ended early: {lines[-3:]}")


def printed_keys(lines: list[str]) -> list[str]:
    return [k for line in lines if line.startswith("step ") for k in line.split()[2:]]


def db_rows(state_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(state_dir / "onestop.db") as db:
        return db.execute(sql).fetchall()


def test_receiver_down_kill_restart_delivers_everything_once(tmp_path: Path,
                                                             receiver: WebhookReceiver) -> None:
    receiver.stop()  # down: connections to its port are refused
    first: list[str] = []
    a = driver(tmp_path, receiver.url(), "--last", str(LAST_STEP), "--interval", "0.05", "--deliver",
               "--hold")
    try:
        read_until(a, lambda ls: sum(x.startswith("step ") for x in ls) >= 15, first)
    finally:
        os.kill(a.pid, signal.SIGKILL)  # mid-run: more steps were still to come
        a.wait(10)
    assert a.returncode == -signal.SIGKILL
    last_printed = max(int(x.split()[1]) for x in first if x.startswith("step "))
    assert last_printed < LAST_STEP
    failed_attempts = db_rows(tmp_path, "SELECT COUNT(*) FROM deliveries WHERE attempts > 0")[0][0]
    receiver.start()  # back on the same port
    second: list[str] = []
    b = driver(tmp_path, receiver.url(), "--first", str(last_printed + 1), "--last", str(LAST_STEP),
               "--flush", "30")
    read_until(b, lambda ls: ls[-1].startswith("flushed"), second)
    assert b.wait(30) == 0 and second[-1] == "flushed True"
    stored = [k for (k,) in db_rows(tmp_path, "SELECT key FROM notifications")]
    statuses = Counter(s for (s,) in db_rows(tmp_path, "SELECT status FROM notifications"))
    acked = [r.key for r in receiver.acked()]
    # One notification per step, firing and resolved alternating, none lost across the kill, none sent twice.
    assert len(stored) == LAST_STEP + 1 and statuses == {"firing": 20, "resolved": 20}
    assert Counter(acked) == Counter(stored)
    assert set(printed_keys(first + second)) <= set(acked)
    assert all(not r.duplicate for r in receiver.snapshot()) and failed_attempts >= 1
    assert db_rows(tmp_path, "SELECT DISTINCT state FROM deliveries") == [("delivered",)]
    # Per-target order held: firing and resolved alternate in the order they arrived.
    kinds = [r.json()["status"] for r in receiver.acked()]
    assert kinds == ["firing", "resolved"] * 20


def test_killed_while_sending_resends_same_key_and_body(tmp_path: Path, receiver: WebhookReceiver) -> None:
    receiver.hang(30)  # the request arrives but is never answered before the kill
    lines: list[str] = []
    a = driver(tmp_path, receiver.url(), "--last", "0", "--deliver", "--hold")
    try:
        read_until(a, lambda ls: ls[-1] == "holding", lines)
        assert receiver.wait_for(lambda reqs: len(reqs) == 1, timeout=20)
        assert db_rows(tmp_path, "SELECT state FROM deliveries") == [("sending",)]
    finally:
        os.kill(a.pid, signal.SIGKILL)
        a.wait(10)
    receiver.hang(0)
    again: list[str] = []
    b = driver(tmp_path, receiver.url(), "--flush", "20")
    read_until(b, lambda ls: ls[-1].startswith("flushed"), again)
    assert b.wait(30) == 0 and again[0] == "started recovered=1" and again[-1] == "flushed True"
    first, second = receiver.snapshot()
    assert first.key == second.key == printed_keys(lines)[0] and first.body == second.body
    # The receiver saw the key twice: the idempotency key is what lets it drop the second one.
    assert second.duplicate
    assert db_rows(tmp_path, "SELECT state, attempts FROM deliveries") == [("delivered", 1)]
