"""Benchmarks of the reports: history write cost, DB size per camera per year, report time for many wards.

    .venv/bin/python scripts/bench_reports.py write --cameras 64 --seconds 600
    .venv/bin/python scripts/bench_reports.py size --days 365
    .venv/bin/python scripts/bench_reports.py report --wards 50 --month 2026-11 [--xlsx demo.xlsx]

Each prints one JSON line of figures; nothing is asserted (timings vary on a shared machine). Data is synthetic
but goes through the real code: ``write`` feeds SiteSnapshots at 1 Hz through the HistoryRecorder (accumulate,
batch, SQLite), ``size`` and ``report`` write per-minute rows of office hours with HistoryStore and read them with
the ReportBuilder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config import AppConfig  # noqa: E402
from monitor.pipeline.events import SiteTick, TickFanout  # noqa: E402
from monitor.reports.accumulate import Batch, CounterMinute, ServiceRow, ZoneMinute  # noqa: E402
from monitor.reports.figures import ReportBuilder, ReportRequest  # noqa: E402
from monitor.reports.history import HistoryStore  # noqa: E402
from monitor.reports.recorder import HistoryRecorder  # noqa: E402
from monitor.schedule.calendar import SiteCalendar  # noqa: E402
from monitor.state.model import CounterReading, SiteSnapshot, ZoneReading  # noqa: E402

WARDS = ["Cốc Lếu", "Duyên Hải", "Kim Tân", "Bắc Cường", "Nam Cường", "Bình Minh", "Pom Hán", "Xuân Tăng",
         "Bắc Lệnh", "Thống Nhất", "Lào Cai", "Cam Đường", "Hợp Thành", "Tả Phời", "Vạn Hòa", "Đồng Tuyển"]


def make_config(wards: int, counters: int = 4, province: str = "Lào Cai") -> AppConfig:
    """Return a config of ``wards`` sites, each with ``counters`` counters and cameras, one queue zone."""
    sites = []
    for i in range(wards):
        name = WARDS[i % len(WARDS)] + ("" if i < len(WARDS) else f" {i // len(WARDS) + 1}")
        cams = [{"id": f"w{i}-cam{j}", "url": "file:///dev/null",
                 "zones": [{"id": f"w{i}-desk{j}-staff", "kind": "staff", "counter": f"desk-{j}",
                            "polygon": [[0, 0], [0.5, 0], [0.5, 0.5]]},
                           {"id": f"w{i}-desk{j}-front", "kind": "service", "counter": f"desk-{j}",
                            "polygon": [[0.5, 0], [1, 0], [1, 0.5]]}]} for j in range(counters)]
        cams[0]["zones"].append({"id": f"w{i}-waiting", "kind": "queue", "polygon": [[0, 0.5], [1, 0.5], [1, 1]]})
        sites.append({"id": f"ward-{i:02d}", "name": f"Phường {name}", "province": province,
                      "counters": [{"id": f"desk-{j}", "name": f"Quầy {j + 1}"} for j in range(counters)],
                      "cameras": cams})
    return AppConfig.model_validate({"sites": sites})


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bench_write(cameras: int, seconds: int) -> dict[str, Any]:
    """Feed `seconds` 1-Hz ticks of `cameras` counters (one camera per counter, 4 per ward) to the recorder."""
    wards = max(1, cameras // 4)
    cfg = make_config(wards, counters=min(4, cameras))
    rng = random.Random(1)
    tz = dt.timezone(dt.timedelta(hours=7))
    t0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=tz)  # a Monday morning: open
    with tempfile.TemporaryDirectory() as tmp:
        clock = [t0.timestamp()]
        rec = HistoryRecorder(cfg, Path(tmp), clock=lambda: clock[0])
        # Snapshots are made first: the benchmark measures what the recorder costs, not building readings.
        ticks_per_s = []
        for k in range(seconds):
            at = t0 + dt.timedelta(seconds=k)
            ticks = []
            for s in cfg.sites:
                counters = {c.id: CounterReading(s.id, c.id, c.name, staffed := rng.random() < 0.8,
                                                 "serving" if staffed else "waiting_unstaffed", 1.0, None)
                            for c in s.counters}
                zones = {z.id: ZoneReading(s.id, cam.id, z.id, z.kind, z.counter, float(rng.randint(0, 8)), 3,
                                           0.5, 300.0)
                         for cam in s.cameras for z in cam.zones}
                ticks.append(SiteTick(SiteSnapshot(s.id, at, True, zones, counters)))
            ticks_per_s.append(ticks)
        fan = TickFanout(maxsize=len(ticks_per_s))  # as in the engine: queued, handled on the recorder's thread

        def on_ticks(ticks: list[SiteTick]) -> None:
            clock[0] = ticks[0].snapshot.at.timestamp()  # simulated time: a batch is written every 60 s of it
            rec.on_ticks(ticks)

        fan.subscribe("history", on_ticks)  # type: ignore[arg-type]
        c0, w0 = _cpu(), time.perf_counter()
        for ticks in ticks_per_s:
            fan.publish(ticks)
        fan.drain(600)
        cpu, wall = _cpu() - c0, time.perf_counter() - w0
        fan.close()
        rec.close()
        size = (Path(tmp) / "history.db").stat().st_size
    return {"bench": "history_write", "cameras": cameras, "wards": wards, "simulated_s": seconds,
            "cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "cpu_share_of_one_core": round(cpu / seconds, 5),
            "cpu_ms_per_tick": round(1000 * cpu / seconds, 3), "db_bytes": size}


def synth_minutes(cfg: AppConfig, first: dt.date, last: dt.date, rng: random.Random) -> list[Batch]:
    """Return one Batch per ward-day of plausible office-hour minutes (per counter and queue zone)."""
    out = []
    quality = {s.id: rng.uniform(0.55, 0.98) for s in cfg.sites}  # how well each ward staffs its counters
    for s in cfg.sites:
        cal = SiteCalendar(s)
        q = quality[s.id]
        day = first
        while day <= last:
            b = Batch()
            for start, end in cal.spans(day):
                m0, m1 = int(start.timestamp() // 60), int(end.timestamp() // 60)
                people = rng.randint(0, 3)
                for m in range(m0, m1):
                    people = max(0, min(15, people + rng.choice((-1, 0, 0, 1))))
                    for c in s.counters:
                        staffed = rng.random() < q
                        busy = rng.random() < 0.6
                        state = ("serving" if busy else "idle_staffed") if staffed else \
                            ("waiting_unstaffed" if busy or people else "unstaffed")
                        known = 60.0 if rng.random() < 0.97 else 0.0
                        row = CounterMinute(open_s=60.0, known_s=known, staffed_s=60.0 if staffed and known else 0,
                                            staffed_known_s=known, unknown_s=60.0 - known)
                        if known:
                            row.states[state] = 60.0
                        b.counters[(s.id, c.id, m)] = row
                        if busy and staffed and rng.random() < 0.2:
                            b.services.append(ServiceRow(s.id, c.id, m * 60.0 + 30, rng.uniform(120, 900)))
                    for cam in s.cameras:
                        for z in cam.zones:
                            if z.kind != "queue":
                                continue
                            wait = people * 400.0 / max(1, len(s.counters) * q)
                            b.zones[(s.id, z.id, m)] = ZoneMinute(
                                camera=cam.id, open_s=60.0, known_s=60.0, people_s=people * 60.0, peak=people + 1,
                                over_s=60.0 if people >= 5 else 0.0, threshold=5, wait_known_s=60.0,
                                wait_ss=wait * 60.0, wait_peak=wait, wait_over_s=60.0 if wait > 900 else 0.0)
            out.append(b)
            day += dt.timedelta(days=1)
    return out


def bench_size(days: int) -> dict[str, Any]:
    """Write a year of one camera's minutes (one counter and its queue zone) and measure the file."""
    cfg = make_config(1, counters=1)
    rng = random.Random(2)
    first = dt.date(2026, 1, 1)
    last = first + dt.timedelta(days=days - 1)
    with tempfile.TemporaryDirectory() as tmp:
        store = HistoryStore(Path(tmp))
        rows = sum(store.write(b) for b in synth_minutes(cfg, first, last, rng))
        counts = store.counts()
        store.close()  # the last connection's close writes the WAL into the file: this measures the settled file
        size = (Path(tmp) / "history.db").stat().st_size
    return {"bench": "db_size", "cameras": 1, "days": days, "rows": rows, **counts, "db_bytes": size,
            "mb_per_camera_year": round(size / 1e6 * 365 / days, 2)}


def bench_report(wards: int, month: str, xlsx: str | None) -> dict[str, Any]:
    """Synthesise a month of `wards` wards (4 counters each) and time the report (JSON and XLSX)."""
    from monitor.reports.writers import to_xlsx

    cfg = make_config(wards)
    year, mon = (int(x) for x in month.split("-"))
    first = dt.date(year, mon, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        store = HistoryStore(Path(tmp))
        t = time.perf_counter()
        rows = sum(store.write(b) for b in synth_minutes(cfg, first, last, rng))
        write_s = time.perf_counter() - t
        now = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(7), dt.timezone(dt.timedelta(hours=7)))
        t = time.perf_counter()
        report = ReportBuilder(cfg, store).build(ReportRequest(first, last, "day"), now)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        data = to_xlsx(report)
        xlsx_s = time.perf_counter() - t
        if xlsx:
            Path(xlsx).write_bytes(data)
        store.close()
    keys = ("rank", "site_name", "score", "staffed_ratio", "waiting_unstaffed_min", "waiting_unstaffed_share",
            "service_level", "coverage", "main_issue")
    ranking = [{k: r[k] for k in keys} for r in report["ranking"]]
    return {"bench": "report", "wards": wards, "counters": 4 * wards, "month": month, "history_rows": rows,
            "synth_write_s": round(write_s, 2), "report_by_day_s": round(build_s, 2),
            "xlsx_s": round(xlsx_s, 2), "xlsx_bytes": len(data), "site_rows": len(report["sites"]),
            "counter_rows": len(report["counters"]),
            "ranking_top": ranking[:3], "ranking_bottom": ranking[-2:]}


def main() -> int:
    """Run one benchmark and print its JSON line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    w = sub.add_parser("write")
    w.add_argument("--cameras", type=int, default=64)
    w.add_argument("--seconds", type=int, default=600)
    s = sub.add_parser("size")
    s.add_argument("--days", type=int, default=365)
    r = sub.add_parser("report")
    r.add_argument("--wards", type=int, default=50)
    r.add_argument("--month", default="2026-11")
    r.add_argument("--xlsx")
    args = p.parse_args()
    if args.what == "write":
        out = bench_write(args.cameras, args.seconds)
    elif args.what == "size":
        out = bench_size(args.days)
    else:
        out = bench_report(args.wards, args.month, args.xlsx)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
