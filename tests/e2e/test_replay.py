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
    s = room_site("cam", str(ONE_BY_ONE), {"mon-fri": ["07:30-11:30", "13:30-17:00"]}, three_counters=True)
    if hook_url:
        # Defaults otherwise (clear_after 1m): each long visit must still fire and resolve on its own.
        s["alerts"] = {"webhooks": [{"id": "sup", "url": hook_url, "secret_env": "HOOK_SECRET"}],
                       "rules": [{"kind": "long_service", "counter": "open", "for": "15s"}],
                       "daily_summary_at": None}
    return s


def replay(tmp_path, cfg: dict, start: str, *extra: str, stderr: list | None = None) -> list[dict]:
    import yaml

    path = tmp_path / "replay.yaml"
    path.write_text(yaml.safe_dump({"service": {"state_dir": str(tmp_path / "state")}, "sites": [cfg]},
                                   allow_unicode=True))
    r = subprocess.run([sys.executable, "-m", "monitor", "replay", "--config", str(path), "--camera", "cam",
                        "--start", start, *extra, str(ONE_BY_ONE)], capture_output=True, text=True,
                       env={**os.environ, "HOOK_SECRET": SECRET}, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    if stderr is not None:
        stderr.extend(r.stderr.splitlines())
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.fixture(scope="module")
def with_alerts(tmp_path_factory):
    """One replay in office hours with a long_service rule and a real receiver; returns (lines, requests)."""
    tmp = tmp_path_factory.mktemp("replay")
    err: list[str] = []
    with WebhookReceiver() as rx:
        lines = replay(tmp, site(rx.url("/hook")), START.isoformat(), stderr=err)
        # replay delivers before it exits: nothing may arrive later.
        received = rx.snapshot()
        time.sleep(1)
        assert len(rx.snapshot()) == len(received)
    return lines, received, err


def test_one_line_per_second_of_video(with_alerts):
    lines, _, _ = with_alerts
    assert [ln["t"] for ln in lines] == [float(t) for t in range(140)]  # 139.4 s of video, every 1 s
    assert set(lines[0]) >= {"t", "zones", "counters"}
    assert set(lines[0]["zones"]) == {"table-front", "left-floor", "table-staff", "wall-staff", "wall-front",
                                      "open-front"}


def test_counts_match_what_the_frames_show(with_alerts):
    lines, _, _ = with_alerts
    raw = {int(ln["t"]): ln["raw"] for ln in lines}
    assert max(ln["people"] for ln in lines) <= 2  # one person at a time (two while one leaves, one comes)
    for t in (5, 20):
        assert raw[t]["table-front"] == 0, t
    for t in (40, 60, 80, 100):
        assert raw[t]["table-front"] == 1, t
    assert all(ln["zones"]["left-floor"] == 0 for ln in lines)  # nobody ever stands left of the table
    occupied = sum(ln["zones"]["table-front"] == 1 for ln in lines) / len(lines)
    assert 0.55 <= occupied <= 0.9, occupied  # six visits cover about 75% of the clip


def test_no_officer_means_no_service(with_alerts):
    # Counter "table": the officer's seat right of the table stays empty the whole clip.
    lines, _, _ = with_alerts
    table = [ln["counters"]["table"] for ln in lines]
    assert {c["state"] for c in table} == {"waiting_unstaffed", "unstaffed"}
    assert "closed" not in {c["state"] for c in table}  # Tuesday 09:00-09:02 is office hours
    assert not any(c["staffed"] for c in table)
    # Nobody was served; the six visits are still seen, as visits at an empty counter (one may be too short or
    # two may merge at the edges).
    assert table[-1]["served"] == 0
    visits = table[-1]["discarded"]
    assert 4 <= visits.get("no_officer", 0) <= 7 and sum(visits.values()) <= 8, visits


def test_citizen_seen_from_behind_is_never_the_officer(with_alerts):
    # Counter "wall": the standing citizen's head is inside the staff zone drawn on the wall behind the table.
    lines, _, _ = with_alerts
    wall = [ln["counters"]["wall"] for ln in lines]
    assert all(ln["raw"]["wall-staff"] == 0 for ln in lines)
    assert not any(c["staffed"] for c in wall)
    assert "serving" not in {c["state"] for c in wall}
    assert wall[-1]["served"] == 0
    # Front presence is still right: the person at the table is counted at the front.
    for t in (40, 60, 80, 100):
        assert lines[t]["raw"]["wall-front"] == 1, t
    for t in (5, 20):
        assert lines[t]["raw"]["wall-front"] == 0, t
    waiting = sum(c["state"] == "waiting_unstaffed" for c in wall) / len(wall)
    assert 0.55 <= waiting <= 0.9, waiting


def test_counter_without_staff_zone_counts_every_visit(with_alerts):
    # Counter "open": no staff zone, so staffing is unknown and every visit is a service (six visits).
    lines, _, err = with_alerts
    assert 5 <= lines[-1]["counters"]["open"]["served"] <= 7, lines[-1]["counters"]["open"]
    summary = [ln for ln in err if ln.startswith("summary: ")]
    assert any(ln.startswith("summary: counter table: served 0 (no service); staffed 0%; front visits discarded:")
               and "no_officer" in ln for ln in summary), summary
    assert any(ln.startswith("summary: counter open: served ") and "staffed unknown (no staff zone" in ln
               for ln in summary), summary
    assert any(ln.startswith("summary: queue left-floor: mean 0.0, peak 0 people") for ln in summary), summary


def test_long_service_webhooks_at_video_times(with_alerts):
    _, received, _ = with_alerts
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
    # One firing and one resolution per long visit, with the default clear_after (1 m) although the next
    # citizen comes within a minute: each resolves when its visit ends, with the same start time.
    assert len(resolved) == 3, [video_s(b) for b in resolved]
    assert [b["starts_at"] for b in resolved] == [b["starts_at"] for b in firing]
    for b, visit_end in zip(resolved, (44, 69, 119), strict=True):
        assert visit_end <= video_s(b) <= visit_end + 5, video_s(b)
        assert visit_end - 3 <= video_s(b, "ends_at") <= visit_end + 1, video_s(b, "ends_at")
        assert b["reason"] == "ended" and b["values"]["for_s"] == 15.0 and b["values"]["counter"] == "open"
        assert b["values"]["session_s"] >= 15
    assert "Bàn" in firing[0]["summary"]["vi"] and firing[0]["site"]["id"] == "room"


def test_outside_office_hours_every_counter_is_closed(tmp_path):
    lines = replay(tmp_path, site(), "2026-12-06T09:00:00+07:00", "--every", "10s")  # a Sunday
    assert len(lines) == 14
    assert {ln["counters"]["table"]["state"] for ln in lines} == {"closed"}
    assert {ln["open"] for ln in lines} == {False}


def test_officer_at_the_counter_reads_staffed_and_serving(tmp_path):
    # zidane.jpg (Ultralytics' sample) as a counter: the man on the right stands in the officer's zone, the man
    # on the left in front of the counter. A 20 s clip of it must read staffed, serving, one citizen served.
    from monitor.config.camera import resolve_package_url

    clip = tmp_path / "counter.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i",
                    resolve_package_url("package://ultralytics/assets/zidane.jpg"), "-t", "20", "-r", "5",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", str(clip)], check=True, timeout=120)
    cfg = {"id": "desk", "name": "Quầy", "hours": {"mon-fri": ["07:30-11:30", "13:30-17:00"]},
           "counters": [{"id": "desk-1"}],
           "cameras": [{"id": "cam", "url": str(clip), "sample_every": "1s", "zones": [
               {"id": "desk-1-staff", "kind": "staff", "counter": "desk-1",
                "polygon": [[0.6, 0], [1, 0], [1, 1], [0.6, 1]]},
               {"id": "desk-1-front", "kind": "service", "counter": "desk-1", "anchor": "head",
                "polygon": [[0, 0], [0.6, 0], [0.6, 1], [0, 1]]}]}]}
    path = tmp_path / "desk.yaml"
    import yaml

    path.write_text(yaml.safe_dump({"service": {"state_dir": str(tmp_path / "state")}, "sites": [cfg]}))
    r = subprocess.run([sys.executable, "-m", "monitor", "replay", "--config", str(path), "--camera", "cam",
                        "--start", START.isoformat(), "--no-alerts", str(clip)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 20
    assert all(ln["raw"] == {"desk-1-staff": 1, "desk-1-front": 1} for ln in lines)
    assert all(ln["counters"]["desk-1"]["staffed"] and ln["counters"]["desk-1"]["state"] == "serving"
               for ln in lines)
    # The visit is still open when the clip ends; the summary says the counter was staffed throughout.
    assert "summary: counter desk-1: served 0 (no service); staffed 100%" in r.stderr
