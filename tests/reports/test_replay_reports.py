"""Reports from real replays of the shared clip on four days: the figures equal what `replay` printed.

The clip is replayed (every 2 s of video) into one state dir on Monday 2026-11-30 at 09:00 and again at 11:29
(office closes for lunch at 11:30, one minute in), on Sunday 2026-11-29 and on the holiday 2026-11-24 (Ngày Văn
hóa Việt Nam). Reports are then made with the real `report` command and the real API, and read back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from collections import Counter
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

from monitor.reports.fields import COLUMNS, SHEET_NAMES
from tests.support.paths import ONE_BY_ONE, REPO
from tests.support.room import room_site

pytestmark = pytest.mark.slow

if not ONE_BY_ONE.is_file():
    pytest.skip(f"shared footage missing: {ONE_BY_ONE}", allow_module_level=True)

EVERY = 2.0
RUNS = {"monday-9": "2026-11-30T09:00:00+07:00", "monday-lunch": "2026-11-30T11:29:00+07:00",
        "sunday": "2026-11-29T09:00:00+07:00", "holiday": "2026-11-24T09:00:00+07:00"}
MONDAY = "2026-11-30"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Replay the clip four times into one state dir; return the config path, state dir and printed lines."""
    tmp = tmp_path_factory.mktemp("replays")
    # Three counters on the clip (tests/support/room.py): "table" and "wall" have staff zones nobody sits in (no
    # service, citizens waiting with no officer), "open" has none (every visit is a service).
    site = room_site("cam", str(ONE_BY_ONE), {"mon-fri": ["07:30-11:30", "13:30-17:00"]}, three_counters=True,
                     alerts={"rules": [{"kind": "long_service", "counter": "open", "for": "15s"}],
                             "daily_summary_at": None})
    config = tmp / "room.yaml"
    config.write_text(yaml.safe_dump({"service": {"state_dir": str(tmp / "state")}, "sites": [site]},
                                     allow_unicode=True), encoding="utf-8")
    # Closed days only need to show that nothing is counted: the first 20 s of the clip (stream copy) will do.
    cut = tmp / "first-20s.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(ONE_BY_ONE), "-t", "20", "-c", "copy", str(cut)], check=True)
    printed = {}
    for name, start in RUNS.items():
        video = ONE_BY_ONE if name.startswith("monday") else cut
        r = cli("replay", "--config", str(config), "--camera", "cam", "--every", "2s", "--start", start,
                "--state-dir", str(tmp / "state"), str(video))
        assert r.returncode == 0, r.stderr[-3000:]
        printed[name] = [json.loads(x) for x in r.stdout.splitlines() if x.startswith('{"t"')]
        if video == ONE_BY_ONE:
            assert len(printed[name]) == 70, name  # 139.4 s of video every 2 s
        else:
            assert len(printed[name]) >= 9 and not any(x["open"] for x in printed[name]), name
    return {"config": config, "state": tmp / "state", "printed": printed, "tmp": tmp}


def expected_day(lines: list[dict[str, Any]], counter: str) -> dict[str, float]:
    """Office-hour figures of one counter in one run from its printed lines: each sample holds for EVERY s."""
    out: Counter[str] = Counter()
    prev_served = 0
    for ln in lines:
        c = ln["counters"][counter]
        if ln["open"]:
            out[f"{c['state']}_s"] += EVERY
            out["staffed_s"] += EVERY if c["staffed"] else 0
            out["known_s"] += EVERY if c["state"] is not None else 0
            out["served"] += c["served"] - prev_served  # services reported while the office was open
        prev_served = c["served"]
    return out


@pytest.fixture(scope="module")
def json_report(replays: dict[str, Any]) -> dict[str, Any]:
    out = replays["tmp"] / "week.json"
    r = cli("report", "--config", str(replays["config"]), "--from", "2026-11-23", "--to", MONDAY, "--by", "day",
            "--format", "json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def counter_row(rows: list[dict[str, Any]], counter: str, period: str = MONDAY) -> dict[str, Any]:
    return next(r for r in rows if r["period"] == period and r["counter"] == counter)


def test_monday_figures_equal_what_replay_printed(replays: dict[str, Any], json_report: dict[str, Any]) -> None:
    # The lunch run was open for its first minute only: 30 samples of 2 s.
    assert sum(1 for ln in replays["printed"]["monday-lunch"] if ln["open"]) == 30
    for counter in ("table", "wall"):
        exp = (expected_day(replays["printed"]["monday-9"], counter)
               + expected_day(replays["printed"]["monday-lunch"], counter))
        row = counter_row(json_report["counters"], counter)
        assert row["status"] == "open"
        for state in ("serving", "waiting_unstaffed", "idle_staffed", "unstaffed"):
            assert row[f"{state}_min"] == round(exp[f"{state}_s"] / 60, 1), (counter, state)
        assert exp["waiting_unstaffed_s"] > 60 and exp["serving_s"] == 0  # nobody behind the table
        assert row["served"] == exp["served"] == 0
        known = exp["known_s"]
        assert known == 140 + 60
        assert row["staffed_ratio"] == round(exp["staffed_s"] / known, 4) == 0
        assert row["coverage"] == round(known / (7.5 * 3600), 4)
        assert row["no_data_min"] == round((7.5 * 3600 - known) / 60, 1)
    # "open" has no staff zone: its state is unknown, but its visits are services, counted as replay printed.
    exp = (expected_day(replays["printed"]["monday-9"], "open")
           + expected_day(replays["printed"]["monday-lunch"], "open"))
    row = counter_row(json_report["counters"], "open")
    assert row["served"] == exp["served"] >= 4


def test_closed_days_show_as_closed_and_days_without_data_as_no_data(json_report: dict[str, Any]) -> None:
    sites = {r["period"]: r for r in json_report["sites"]}
    assert sites["2026-11-24"]["status"] == "closed"
    assert sites["2026-11-24"]["closed_reason"] == "Ngày Văn hóa Việt Nam"
    assert sites["2026-11-29"]["status"] == "closed" and sites["2026-11-29"]["closed_reason"] == "weekend"
    for day in ("2026-11-24", "2026-11-29"):
        assert sites[day]["served"] is None and sites[day]["waiting_unstaffed_min"] is None
    assert sites["2026-11-25"]["status"] == "no_data" and sites["2026-11-25"]["served"] is None
    assert sites[MONDAY]["status"] == "open"


def test_alerts_in_the_report_are_the_ones_the_outbox_holds(replays: dict[str, Any],
                                                            json_report: dict[str, Any]) -> None:
    with sqlite3.connect(replays["state"] / "onestop.db") as db:
        rows = db.execute("SELECT data FROM notifications WHERE status = 'firing'").fetchall()
    firing = [json.loads(r[0]) for r in rows]
    on_monday = sum(1 for n in firing if n["seq"] == 0 and n["kind"] == "long_service" and
                    dt.datetime.fromtimestamp(n["at"], dt.timezone(dt.timedelta(hours=7))).date().isoformat()
                    == MONDAY)
    row = counter_row(json_report["counters"], "open")
    assert row["alerts"]["long_service"] == on_monday >= 2


def test_json_schema_is_stable_and_documented(json_report: dict[str, Any]) -> None:
    assert json_report["schema"] == "onestop-report/1"
    assert set(json_report) == {"schema", "generated_at", "from", "to", "by", "site", "province", "settings",
                                "periods", "provinces", "sites", "counters", "zones", "ranking"}
    levels = {"provinces": "province", "sites": "site", "counters": "counter", "zones": "zone",
              "ranking": "ranking"}
    for key, level in levels.items():
        want = [c.key for c in COLUMNS[level] if not c.key.startswith("alerts.")]
        for row in json_report[key]:
            assert [k for k in row if k not in ("alerts", "main_issue_en", "components")] == want, key
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for level in levels.values():
        for c in COLUMNS[level]:
            if not c.key.startswith("alerts."):
                assert f"`{c.key}`" in readme, c.key


def test_xlsx_has_a_sheet_per_level_numbers_not_formulas_and_the_chart(replays: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    out = replays["tmp"] / "week.xlsx"
    r = cli("report", "--config", str(replays["config"]), "--from", "2026-11-23", "--to", MONDAY,
            "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == [SHEET_NAMES[lv][0] for lv in ("ranking", "province", "site", "counter", "zone")] + [
        "Định nghĩa"]
    ws = wb[SHEET_NAMES["counter"][0]]
    assert ws.freeze_panes == "A2"
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["Kỳ", "Mã đơn vị", "Phường/Xã", "Mã quầy"]
    assert "Dân chờ, không có cán bộ (phút)" in headers and "Tỷ lệ có cán bộ (%)" in headers
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2) if row[3].value == "table"}
    monday = rows[MONDAY]
    col = headers.index("Tỷ lệ có cán bộ (%)")
    assert monday[col].data_type == "n" and isinstance(monday[col].value, int | float)
    assert monday[col].number_format == "0.0%"
    assert monday[headers.index("Trạng thái")].value == "làm việc"
    assert rows["2026-11-24"][headers.index("Lượt phục vụ")].value is None  # closed: empty, not 0
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate)
    # openpyxl does not read charts back: look at the package parts themselves.
    ranked = wb[SHEET_NAMES["ranking"][0]].max_row  # header + one row per ward
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)]
        assert len(charts) == 1
        chart = ET.fromstring(z.read(charts[0]))
        sheet1_rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode("utf-8")  # sheet1: the ranking
    c, a_ = "{http://schemas.openxmlformats.org/drawingml/2006/chart}", \
        "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    bar = chart.find(f".//{c}barChart")
    assert bar is not None and bar.find(f"{c}barDir").get("val") == "bar"
    assert "".join(t.text or "" for t in chart.find(f"{c}chart/{c}title").iter(f"{a_}t")) == \
        "Tỷ lệ có cán bộ theo phường/xã"
    sheet = SHEET_NAMES["ranking"][0]

    def cells(col: str) -> str:  # Excel writes a one-cell range as the cell alone
        return f"'{sheet}'!${col}$2" + (f":${col}${ranked}" if ranked > 2 else "")

    assert bar.find(f".//{c}val//{c}f").text == cells("F")  # the staffed ratio column
    assert bar.find(f".//{c}cat//{c}f").text == cells("D")  # the ward names
    assert "drawing" in sheet1_rels
    wb_en = load_workbook(io.BytesIO(_english_xlsx(replays)))
    assert wb_en.sheetnames[0] == "Ranking"
    assert "Staffed ratio (%)" in [c.value for c in wb_en["Counters"][1]]


def _english_xlsx(replays: dict[str, Any]) -> bytes:
    out = replays["tmp"] / "week-en.xlsx"
    r = cli("report", "--config", str(replays["config"]), "--from", MONDAY, "--to", MONDAY, "--lang", "en",
            "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


def test_csv_is_utf8_with_bom_and_keeps_vietnamese(replays: dict[str, Any], json_report: dict[str, Any]) -> None:
    r = subprocess.run([sys.executable, "-m", "monitor", "report", "--config", str(replays["config"]),
                        "--from", "2026-11-23", "--to", MONDAY, "--format", "csv", "--level", "counter",
                        "--out", "-"], capture_output=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.stdout.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Kỳ", "Mã đơn vị", "Phường/Xã", "Mã quầy", "Quầy"]
    assert len(body) == 3 * 8  # three counters, eight days
    monday = next(x for x in body if x[0] == MONDAY and x[3] == "table")
    assert monday[2] == "Phòng thử" and monday[4] == "Bàn"
    assert next(x for x in body if x[0] == MONDAY and x[3] == "wall")[4] == "Bàn (nhìn từ sau lưng)"
    want = counter_row(json_report["counters"], "table")
    assert float(monday[header.index("Tỷ lệ có cán bộ (%)")]) == round(want["staffed_ratio"] * 100, 2)
    assert int(monday[header.index("Lượt phục vụ")]) == want["served"]
    holiday = next(x for x in body if x[0] == "2026-11-24" and x[3] == "table")
    assert holiday[header.index("Trạng thái")] == "nghỉ" and holiday[header.index("Lượt phục vụ")] == ""


def test_the_api_serves_the_same_report_to_viewers(replays: dict[str, Any], json_report: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from monitor.api.app import create_app
    from monitor.api.deps import AppParts
    from monitor.config import load_config
    from monitor.metrics import Metrics
    from monitor.reports.reporting import Reporting

    loaded = load_config(replays["config"])
    metrics = Metrics()
    reports = Reporting(loaded, metrics)
    client = TestClient(create_app(AppParts(config=loaded, metrics=metrics, engine=None,
                                            reports=reports)))
    r = client.get("/api/v1/reports", params={"from": "2026-11-23", "to": MONDAY, "by": "day"})
    assert r.status_code == 200
    got = r.json()
    assert {k: v for k, v in got.items() if k != "generated_at"} == {
        k: v for k, v in json_report.items() if k != "generated_at"}
    x = client.get("/api/v1/reports", params={"from": MONDAY, "to": MONDAY, "format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert client.get("/api/v1/reports", params={"from": MONDAY, "to": "2026-11-01"}).status_code == 404
    assert client.get("/api/v1/reports", params={"from": MONDAY, "to": MONDAY, "site": "nope"}).status_code == 404
    reports.stop()
