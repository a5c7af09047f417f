"""The reports benchmark script runs (small sizes) and prints its figures; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.paths import REPO


@pytest.mark.parametrize("args, keys", [
    (["write", "--cameras", "8", "--seconds", "130"], {"cpu_share_of_one_core", "cpu_ms_per_tick", "db_bytes"}),
    (["size", "--days", "10"], {"mb_per_camera_year", "counter_minutes", "zone_minutes"}),
    (["report", "--wards", "3", "--month", "2026-02"], {"report_by_day_s", "xlsx_s", "ranking_top"}),
])
def test_benchmark_prints_its_figures(args: list[str], keys: set[str]) -> None:
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_reports.py"), *args], capture_output=True,
                       text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    print(out)
    assert keys <= set(out)
    if args[0] == "write":
        assert out["db_bytes"] > 0 and out["cpu_s"] > 0
    if args[0] == "size":
        assert out["counter_minutes"] == out["zone_minutes"] > 0
    if args[0] == "report":
        assert out["site_rows"] == 3 * 28 and [r["rank"] for r in out["ranking_top"]] == [1, 2, 3]
