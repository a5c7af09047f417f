"""The console's reports page in a real browser on a real service whose history comes from replays of the clip.

Two wards of Lào Cai are replayed from the shared one-by-one clip (every 2 s of video) into one state dir on Monday
2026-11-30 at 09:00, inside an office window of 09:00-09:03, so that day is well covered: "Phòng thử" is the
three-counter room of tests/support/room.py (nobody ever behind the table: citizens wait with no officer), "Phường
Hai" watches the same room with the person at the table as its officer. "Phường Ba" (Hà Nội) has no history at
all. The service then runs on that state dir with its cameras off, and the page must show what GET
/api/v1/reports answers: the ranking, the bars, one ward's counters and days (closed ones as closed), the files.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright import sync_api

from tests.console.browser import Tab, bearer, shot
from tests.support.paths import ONE_BY_ONE, REPO
from tests.support.process import MonitorProcess
from tests.support.room import room_site

pytestmark = pytest.mark.slow

if not ONE_BY_ONE.is_file():
    pytest.skip(f"shared footage missing: {ONE_BY_ONE}", allow_module_level=True)

ADMIN = "reports-admin-token-7c1d9e2f4a"
VIEWER = "reports-viewer-token-3b8a6f0e5d"
MONDAY = "2026-11-30T09:00:00+07:00"
HOURS = {"mon-fri": ["09:00-09:03"]}  # the clip (139 s) covers most of each day's office time
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
# Where the head of the person standing at the high table is (the "wall" staff zone of tests/support/room.py).
TABLE_HEAD = [[0.45, 0.0], [0.75, 0.0], [0.75, 0.5], [0.45, 0.5]]
LEFT_FLOOR = [[0, 0.55], [0.35, 0.55], [0.35, 1], [0, 1]]


def one_desk_ward(site_id: str, name: str, province: str, camera: str) -> dict[str, Any]:
    """Return a ward whose officer is whoever stands at the table; its citizens' place (left floor) stays empty."""
    return {"id": site_id, "name": name, "province": province, "hours": HOURS,
            "counters": [{"id": "desk", "name": "Quầy 1"}],
            "cameras": [{"id": camera, "url": str(ONE_BY_ONE), "sample_every": "1s", "zones": [
                {"id": f"{site_id}-seat", "kind": "staff", "counter": "desk", "polygon": TABLE_HEAD},
                {"id": f"{site_id}-front", "kind": "service", "counter": "desk", "polygon": LEFT_FLOOR}]}]}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MonitorProcess]:
    """Replay the clip for two wards into one state dir, then serve it (cameras off: the history is the point)."""
    tmp = tmp_path_factory.mktemp("reports-page")
    room = room_site("cam", str(ONE_BY_ONE), HOURS, three_counters=True,
                     alerts={"rules": [{"kind": "long_service", "counter": "open", "for": "15s"}],
                             "daily_summary_at": None})
    sites = [room, one_desk_ward("hai", "Phường Hai", "Lào Cai", "cam-2"),
             one_desk_ward("ba", "Phường Ba", "Hà Nội", "cam-3")]
    # One replayed day of twenty office days is 3.9% of November: rank on that rather than on nothing.
    config = {"service": {"state_dir": str(tmp / "state")}, "reports": {"min_coverage": 0.03}, "sites": sites}
    replay_config = tmp / "replay.yaml"
    replay_config.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    for camera in ("cam", "cam-2"):
        r = subprocess.run([sys.executable, "-m", "monitor", "replay", "--config", str(replay_config),
                            "--camera", camera, "--every", "2s", "--start", MONDAY, "--state-dir", str(tmp / "state"),
                            str(ONE_BY_ONE)], capture_output=True, text=True, cwd=REPO, timeout=600,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
        assert r.returncode == 0, r.stderr[-3000:]
    served = copy.deepcopy(config)
    for site in served["sites"]:
        for cam in site["cameras"]:
            cam["enabled"] = False
    served["service"]["tokens"] = [{"name": "ana", "env": "REPORTS_ADMIN", "role": "admin"},
                                   {"name": "vic", "env": "REPORTS_VIEWER", "role": "viewer"}]
    svc = MonitorProcess(served, tmp, env={"REPORTS_ADMIN": ADMIN, "REPORTS_VIEWER": VIEWER}).start()
    try:
        yield svc
    finally:
        assert svc.stop() == 0, svc.log_tail()


def report(service: MonitorProcess, **params: str) -> dict[str, Any]:
    r = service.get("/api/v1/reports", params=params, headers=bearer(VIEWER))
    assert r.status_code == 200, r.text
    return r.json()


def pct(v: float) -> str:
    """Format a share as the Vietnamese page does (vi-VN: decimal comma, one decimal)."""
    return f"{v * 100:.1f}%".replace(".", ",")


def num(v: float) -> str:
    return (f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))).replace(".", ",")


def bars(page: Any, chart: str) -> list[tuple[str, str, str | None]]:
    """Return (ward, data-value, bar width) of each bar of a chart, top to bottom."""
    out = []
    for g in page.locator(f"svg.{chart} g.bar").all():
        fill = g.locator("rect.fill")
        out.append((g.get_attribute("data-key"), g.get_attribute("data-value"),
                    fill.get_attribute("width") if fill.count() else None))
    return out


def expected_bars(rows: list[dict[str, Any]], key: str, top: float) -> list[tuple[str, str, str | None]]:
    return [(r["site"], "" if r[key] is None else f"{r[key]:g}",
             None if r[key] is None else f"{r[key] / top * 75:.2f}%") for r in rows]


def wait_span(page: Any, first: str, last: str) -> None:
    """Wait until the page shows the report of first..last (dd/mm/yyyy), i.e. the new one has arrived."""
    page.locator("#r-status", has_text=f"Từ {first} đến {last}").wait_for()


def test_reports_page_shows_what_the_api_answers(service: MonitorProcess, browser: Any, tmp_path: Path) -> None:
    tab = Tab(browser, service.base, viewport=(1400, 1960), locale="vi-VN")
    tab.sign_in(VIEWER, "/reports")  # a viewer may see reports
    page = tab.page
    # The default is the current month (the browser's clock), as a month picker.
    now = page.evaluate("(() => { const d = new Date(); return [d.getFullYear(), d.getMonth() + 1]; })()")
    # Set by the page's module script. (No wait_for_function: the page's CSP forbids eval.)
    sync_api.expect(page.locator("#r-month")).not_to_have_value("", timeout=10000)
    assert page.input_value("#r-month") == f"{now[0]}-{now[1]:02d}"
    assert page.is_checked("input[name=kind][value=month]") and page.locator("#r-day").is_hidden()
    page.locator("#r-status", has_text=f"/{now[1]:02d}/{now[0]} · Lập lúc").wait_for()

    # November: the replayed Monday, weekends, a holiday and days with no data at all.
    page.fill("#r-month", "2026-11")
    wait_span(page, "01/11/2026", "30/11/2026")
    assert "month=2026-11" in page.url  # kept in the address, so a wall screen can open it
    whole = report(service, **NOVEMBER, by="range")
    ranking = whole["ranking"]
    # Real figures, not a made-up table: the officer of Phường Hai was at the table most of the clip; nobody ever
    # sat behind the room's tables while citizens stood there; Phường Ba has no history and is not ranked.
    by_site = {r["site"]: r for r in ranking}
    assert [r["site"] for r in ranking] == ["ba", "hai", "room"]  # provinces in order, best first in each
    assert (by_site["hai"]["rank"], by_site["room"]["rank"], by_site["ba"]["ranked"]) == (1, 2, False)
    assert by_site["hai"]["staffed_ratio"] > 0.5 and by_site["room"]["staffed_ratio"] == 0
    assert by_site["room"]["waiting_unstaffed_min"] > 1 and by_site["hai"]["waiting_unstaffed_min"] == 0
    assert by_site["ba"]["staffed_ratio"] is None and by_site["room"]["main_issue"].startswith("Quầy vắng cán bộ")

    rows = page.locator("table.ranking tbody tr[data-site]")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.site)") == [r["site"] for r in ranking]
    for r in ranking:
        row = page.locator(f"table.ranking tr[data-site={r['site']}]")
        cells = {c: row.locator(f"td.{c}").inner_text().strip() for c in
                 ("rank", "ward", "score", "staffed", "waiting", "service-level", "coverage", "served", "issue")}
        assert cells["rank"] == (str(r["rank"]) if r["ranked"] else "–")
        assert cells["ward"] == r["site_name"]
        assert cells["score"] == ("–" if r["score"] is None else num(r["score"]))
        assert cells["staffed"] == ("–" if r["staffed_ratio"] is None else pct(r["staffed_ratio"]))
        if r["waiting_unstaffed_min"] is None:
            assert cells["waiting"] == "–"
        else:
            assert cells["waiting"].split("\n") == [f"{num(r['waiting_unstaffed_min'])} phút",
                                                    f"{pct(r['waiting_unstaffed_share'])} thời gian"]
        assert cells["service-level"] == ("–" if r["service_level"] is None else pct(r["service_level"]))
        assert cells["coverage"] == pct(r["coverage"])
        assert cells["served"] == ("–" if r["served"] is None else str(r["served"]))
        assert cells["issue"] == (r["main_issue"] if r["ranked"] else "Chưa xếp hạng: quá ít dữ liệu")
        # The score's bar: the points each component earned add up to the score.
        points = row.locator("td.score rect.part").evaluate_all(
            "rs => rs.map(r => parseFloat(r.getAttribute('width')))")
        assert sum(points) == pytest.approx(r["score"] or 0, abs=0.06)
    # The bars are the JSON's values: staffed ratio out of 100%, waiting minutes out of the largest; no data is no bar.
    assert bars(page, "chart-staffed") == expected_bars(ranking, "staffed_ratio", 1)
    top = max(r["waiting_unstaffed_min"] or 0 for r in ranking)
    assert bars(page, "chart-waiting") == expected_bars(ranking, "waiting_unstaffed_min", top)
    assert page.locator("svg.chart-staffed g.bar[data-key=ba] text.none", has_text="không có dữ liệu").count() == 1

    # One ward in detail: its counters (waiting with no officer first) and its days, closed ones marked closed.
    page.locator("table.ranking tr[data-site=room] button.link").click()
    page.locator("section.r-ward[data-ward=room]").wait_for()
    page.locator("#r-month").blur()
    shot(page, "console-reports", tmp_path)
    counters = [c for c in whole["counters"] if c["site"] == "room"]
    crow = page.locator("table.counters tbody tr")
    assert crow.evaluate_all("rs => rs.map(r => r.dataset.counter)") == [c["counter"] for c in counters]
    headers = page.locator("table.counters thead th").all_inner_texts()
    assert headers.index("Có người chờ, vắng cán bộ") < headers.index("Đang phục vụ")
    for c in counters:
        row = page.locator(f"table.counters tr[data-counter={c['counter']}]")
        assert row.locator("td.served").inner_text() == str(c["served"])
        assert row.locator("td.m-waiting_unstaffed").inner_text() == f"{num(c['waiting_unstaffed_min'])} phút"
        assert row.locator("td.coverage").inner_text() == pct(c["coverage"])
    open_counter = next(c for c in counters if c["counter"] == "open")
    assert open_counter["served"] >= 4 and open_counter["alerts"]["long_service"] >= 1
    assert page.locator("table.counters tr[data-counter=open] td.alerts").inner_text() == \
        f"Phục vụ quá lâu: {open_counter['alerts']['long_service']}"
    days = {r["period"]: r for r in report(service, **NOVEMBER, by="day")["sites"] if r["site"] == "room"}
    assert len(days) == 30 and page.locator("table.periods tbody tr").count() == 30
    for day, status, text in (("2026-11-29", "closed", "Nghỉ (cuối tuần)"),
                              ("2026-11-24", "closed", "Nghỉ (Ngày Văn hóa Việt Nam)"),
                              ("2026-11-25", "no_data", "Không có dữ liệu"), ("2026-11-30", "open", "Làm việc")):
        assert days[day]["status"] == status
        row = page.locator(f"table.periods tr[data-period='{day}']")
        assert row.get_attribute("data-status") == status and text in row.inner_text()
        col = page.locator(f"svg.columns g.col[data-key='{day}']")
        assert col.get_attribute("data-status") == status
        if status != "open":  # never a zero: no figure at all
            assert row.locator("td.staffed").inner_text() == row.locator("td.served").inner_text() == "–"
            assert col.get_attribute("data-value") == ""
    assert page.locator("table.periods tr[data-period='2026-11-30'] td.staffed").inner_text() == \
        pct(days["2026-11-30"]["staffed_ratio"])

    # The files of the same selection, fetched with the viewer's token and saved from a blob: URL.
    with page.expect_download() as got:
        page.click("#dl-xlsx")
    xlsx = Path(got.value.path()).read_bytes()
    assert xlsx[:2] == b"PK" and got.value.suggested_filename == "onestop-2026-11-01-2026-11-30.xlsx"
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx))
    names = [row[3].value for row in wb[wb.sheetnames[0]].iter_rows(min_row=2)]
    assert names == [r["site_name"] for r in ranking]
    page.select_option("#csv-level", "counter")
    with page.expect_download() as got:
        page.click("#dl-csv")
    data = Path(got.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and got.value.suggested_filename.endswith("-counter.csv")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0][:4] == ["Kỳ", "Mã đơn vị", "Phường/Xã", "Mã quầy"] and len(lines) == 1 + 30 * 5  # per day
    page.locator("#dl-message", has_text="Đã tải").wait_for()

    # An ISO week and a single closed day: the closed day is closed everywhere, not a row of zeros.
    page.check("input[name=kind][value=week]")
    page.fill("#r-week", "2026-W49")
    wait_span(page, "30/11/2026", "06/12/2026")
    assert page.locator("table.periods tbody tr").count() == 7
    page.check("input[name=kind][value=day]")
    page.fill("#r-day", "2026-11-29")
    wait_span(page, "29/11/2026", "29/11/2026")
    sunday = report(service, **{"from": "2026-11-29", "to": "2026-11-29"}, by="range")
    assert {r["status"] for r in sunday["sites"]} == {"closed"} and not any(r["ranked"] for r in sunday["ranking"])
    assert page.locator("section.r-ward .r-ward-head .badge").inner_text() == "Nghỉ (cuối tuần)"
    assert bars(page, "chart-staffed") == [(r["site"], "", None) for r in sunday["ranking"]]
    assert page.locator("table.counters td.served").all_inner_texts() == ["–"] * 3

    # A range and a province: the request carries them, the page shows only that province's wards.
    page.check("input[name=kind][value=range]")
    page.fill("#r-from", "2026-11-23")
    page.fill("#r-to", "2026-11-30")
    wait_span(page, "23/11/2026", "30/11/2026")
    page.select_option("#f-province", "Lào Cai")
    page.locator("table.ranking tr[data-site=ba]").wait_for(state="detached")
    page.locator("table.ranking tr[data-site=room]").wait_for()
    assert page.locator("table.ranking tbody tr[data-site]").evaluate_all("rs => rs.map(r => r.dataset.site)") == \
        [r["site"] for r in report(service, **{"from": "2026-11-23", "to": "2026-11-30"}, by="range",
                                   province="Lào Cai")["ranking"]]
    assert any("province=L%C3%A0o+Cai" in u and "from=2026-11-23" in u for u in tab.requests)

    # English: the other half of the catalogue, and the main issue in English from the same JSON.
    page.click("#lang")
    page.locator("h2", has_text="Ward ranking").wait_for()
    page.locator("#r-status", has_text="23/11/2026 to 30/11/2026").wait_for()
    assert page.locator("table.ranking tr[data-site=room] td.issue").inner_text() == by_site["room"]["main_issue_en"]

    assert tab.foreign() == []  # nothing but the service, downloads included
    assert tab.errors() == []
    tab.close()


def test_reports_page_on_a_phone(service: MonitorProcess, browser: Any, tmp_path: Path) -> None:
    phone = Tab(browser, service.base, viewport=(390, 844), touch=True, locale="vi-VN")
    phone.sign_in(ADMIN, "/reports")
    page = phone.page
    page.goto(f"{service.base}/reports#month=2026-11&ward=room")
    page.locator("section.r-ward[data-ward=room] table.periods").wait_for()
    # Ranking and counters as cards of "label value" lines; nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("table.ranking thead").is_hidden()
    label = page.locator("table.ranking tr[data-site=hai] td.staffed").evaluate(
        "td => getComputedStyle(td, '::before').content")
    assert label == '"Có cán bộ"'
    page.locator("section.r-ranking tr[data-site=hai]").scroll_into_view_if_needed()
    shot(page, "console-reports-phone", tmp_path)
    # The page's date arithmetic in the browser itself, on the awkward cases: 53-week years, a week that starts in
    # the year before, a leap February, a week that does not exist.
    got = page.evaluate("""async () => {
        const m = await import("/console/static/js/period.js");
        return [m.weekRange("2026-W53"), m.weekRange("2020-W53"), m.weekRange("2026-W01"), m.weekRange("2025-W53"),
                m.isoWeek("2021-01-03"), m.isoWeek("2024-12-30"), m.monthRange("2024-02"), m.monthRange("2026-13")];
    }""")
    iso = dt.date.fromisocalendar
    assert got == [[iso(2026, 53, 1).isoformat(), iso(2026, 53, 7).isoformat()],
                   [iso(2020, 53, 1).isoformat(), iso(2020, 53, 7).isoformat()],
                   [iso(2026, 1, 1).isoformat(), iso(2026, 1, 7).isoformat()], None,
                   "2020-W53", "2025-W01", ["2024-02-01", "2024-02-29"], None]
    assert phone.foreign() == [] and phone.errors() == []
    phone.close()
    today = dt.date.today()
    assert httpx.get(f"{service.base}/api/v1/reports", params={"from": today.isoformat(),
                                                               "to": today.isoformat()}).status_code == 401
