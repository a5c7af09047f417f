"""report: figures per counter, ward and province from the recorded history, as XLSX, CSV or JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ._common import load_or_report

NAME = "report"
HELP = "make a report (XLSX, CSV or JSON) from the history in the state directory"
DESCRIPTION = """Make a report of office-hour figures from the history the service (or `replay --state-dir`) recorded.

Rows per day, ISO week or month (--by), for every counter, queue zone, ward (site) and province, plus the ward
ranking of each province. XLSX has one sheet per level and a chart of the staffed ratio per ward; CSV is one level
(--level, default site) in UTF-8 with BOM; JSON is the whole report (schema onestop-report/1, see the README)."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("--config", "-c", required=True, help="YAML config file (sites, calendars, targets)")
    p.add_argument("--from", dest="first", required=True, type=_date, help="first local date, YYYY-MM-DD")
    p.add_argument("--to", dest="last", required=True, type=_date, help="last local date (inclusive)")
    p.add_argument("--by", choices=["day", "week", "month", "range"], default="day",
                   help="one row per day, ISO week, month, or one for the whole range (default: day)")
    p.add_argument("--site", help="only this site id")
    p.add_argument("--province", help="only the sites of this province")
    p.add_argument("--format", choices=["xlsx", "csv", "json"], default="xlsx", help="file format (default xlsx)")
    p.add_argument("--level", choices=["site", "counter", "zone", "province", "ranking"], default="site",
                   help="the table a CSV holds (default site)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="headers and texts (default vi)")
    p.add_argument("--state-dir", help="read the history here instead of the config's service.state_dir")
    p.add_argument("--out", "-o", required=True, help="output file; '-' writes CSV/JSON to stdout")


def run(args: argparse.Namespace) -> int:
    """Write the report; return 0, or 1/2 on bad input."""
    loaded = load_or_report(args.config)
    if loaded is None:
        return 2
    if args.state_dir:
        service = loaded.config.service.model_copy(update={"state_dir": Path(args.state_dir)})
        loaded = type(loaded)(loaded.config.model_copy(update={"service": service}), loaded.path, loaded.warnings)
    if args.out == "-" and args.format == "xlsx":
        print("an XLSX file cannot go to stdout: give --out FILE", file=sys.stderr)
        return 2
    state_dir = loaded.config.service.state_dir
    if not (state_dir / "history.db").is_file():
        print(f"no history in {state_dir} (history.db): run the service or `replay --state-dir` first",
              file=sys.stderr)
        return 1

    from ..reports.figures import ReportRequest
    from ..reports.history import HistoryError
    from ..reports.reporting import build_report
    from ..reports.writers import render

    req = ReportRequest(args.first, args.last, None if args.by == "range" else args.by, args.site, args.province)
    try:
        report = build_report(loaded, req, dt.datetime.now(dt.UTC).astimezone())
    except (ValueError, HistoryError) as exc:
        print(f"cannot make the report: {exc}", file=sys.stderr)
        return 2
    data = render(report, args.format, args.lang, args.level)
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        print(f"cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"{out}: {len(report['sites'])} ward rows, {len(report['counters'])} counter rows, "
          f"{len(report['ranking'])} ranked wards", file=sys.stderr)
    return 0
