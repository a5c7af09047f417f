"""`replay` on the shared one-by-one clip: sane per-sample numbers, office hours, and alert webhooks by video time.

What the clip shows (checked by eye on frames at 5, 20, 40, 60, 80, 100 s, and by the detector per second): one
person at a time walks to a high round table (our counter front), stands there, leaves. Visits span roughly
7-19, 23-44, 51-69, 75-86, 93-119 and 124-135 s; the table is empty at 5 and 20 s.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest

from tests.support.paths import ONE_BY_ONE
from tests.support.room import room_site
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

pytestmark = pytest.mark.slow

if not ONE_BY_ONE.is_file():
    pytest.skip(f"shared footage missing: {ONE_BY_ONE}", allow_module_level=True)

START = dt.datetime.fromisoformat("2026-12-01T09:00:00+07:00")  # a Tuesday, inside office hours
SECRET = "replay-secret"


def site(hook_url: str | None = None) -> dict:
    s = room_site("cam", str(ONE_BY_ONE), {"mon-fri": ["07:30-11:30", "13:30-17:00"]})
    if hook_url:
        s["alerts"] = {"webhooks": [{"id": "sup", "url": hook_url, "secret_env": "HOOK_SECRET"}],
                       "rules": [{"kind": "long_service", "counter": "table", "for": "15s", "clear_after": "3s"}],
                       "daily_summary_at": None}
    return s


def replay(tmp_path, cfg: dict, start: str, *extra: str) -> list[dict]:
    import yaml

    path = tmp_path / "replay.yaml"
    path.write_text(yaml.safe_dump({"service": {"state_dir": str(tmp_path / "state")}, "sites": [cfg]},
                                   allow_unicode=True))
    r = subprocess.run([sys.executable, "-m", "monitor", "replay", "--config", str(path), "--camera", "cam",
                        "--start", start, *extra, str(ONE_BY_ONE)], capture_output=True, text=True,
                       env={**os.environ, "HOOK_SECRET": SECRET}, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.fixture(scope="module")
def with_alerts(tmp_path_factory):
    """One replay in office hours with a long_service rule and a real receiver; returns (lines, requests)."""
    tmp = tmp_path_factory.mktemp("replay")
    with WebhookReceiver() as rx:
        lines = replay(tmp, site(rx.url("/hook")), START.isoformat())
        # replay delivers before it exits: nothing may arrive later.
        received = rx.snapshot()
        time.sleep(1)
        assert len(rx.snapshot()) == len(received)
    return lines, received


def test_one_line_per_second_of_video(with_alerts):
    lines, _ = with_alerts
    assert [ln["t"] for ln in lines] == [float(t) for t in range(140)]  # 139.4 s of video, every 1 s
    assert set(lines[0]) >= {"t", "zones", "counters"}
    assert set(lines[0]["zones"]) == {"table-front", "left-floor", "table-staff"}


def test_counts_match_what_the_frames_show(with_alerts):
    lines, _ = with_alerts
    raw = {int(ln["t"]): ln["raw"] for ln in lines}
    assert max(ln["people"] for ln in lines) <= 2  # one person at a time (two while one leaves, one comes)
    for t in (5, 20):
        assert raw[t]["table-front"] == 0, t
    for t in (40, 60, 80, 100):
        assert raw[t]["table-front"] == 1, t
    assert all(ln["zones"]["left-floor"] == 0 for ln in lines)  # nobody ever stands left of the table
    occupied = sum(ln["zones"]["table-front"] == 1 for ln in lines) / len(lines)
    assert 0.55 <= occupied <= 0.9, occupied  # six visits cover about 75% of the clip


def test_counter_states_and_citizens_served(with_alerts):
    lines, _ = with_alerts
    states = {ln["counters"]["table"]["state"] for ln in lines}
    assert "waiting_unstaffed" in states and "unstaffed" in states
    assert "closed" not in states  # Tuesday 09:00-09:02 is office hours
    served = lines[-1]["counters"]["table"]["served"]
    assert 4 <= served <= 8, served  # six visits; two may merge or be cut at the edges


def test_long_service_webhooks_at_video_times(with_alerts):
    _, received = with_alerts
    bodies = [r.json() for r in received]
    assert all(r.status == 200 for r in received)
    for r in received:
        assert verify_signature(SECRET, r.body, r.headers["x-onestop-signature"], now=time.time())
    assert len({r.key for r in received}) == len(received)  # each notification once, each with its own key
    firing = [b for b in bodies if b["status"] == "firing"]
    resolved = [b for b in bodies if b["status"] == "resolved"]

    def video_s(b: dict, key: str = "at") -> float:
        return (dt.datetime.fromisoformat(b[key]) - START).total_seconds()

    # Visits longer than 15 s (23-44, 51-69, 93-119) fire about 15 s after they start.
    fired_at = [video_s(b) for b in firing]
    assert len(fired_at) == 3, fired_at
    for got, want in zip(fired_at, (38, 66, 108), strict=True):
        assert abs(got - want) <= 4, fired_at
    # Each resolves after its visit ends, with the same start time.
    assert [b["starts_at"] for b in resolved] == [b["starts_at"] for b in firing]
    for b, visit_end in zip(resolved, (44, 69, 119), strict=True):
        assert visit_end <= video_s(b) <= visit_end + 8, video_s(b)
    assert "Bàn" in firing[0]["summary"]["vi"] and firing[0]["site"]["id"] == "room"


def test_outside_office_hours_every_counter_is_closed(tmp_path):
    lines = replay(tmp_path, site(), "2026-12-06T09:00:00+07:00", "--every", "10s")  # a Sunday
    assert len(lines) == 14
    assert {ln["counters"]["table"]["state"] for ln in lines} == {"closed"}
    assert {ln["open"] for ln in lines} == {False}
