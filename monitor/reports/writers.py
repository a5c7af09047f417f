"""Report files: XLSX (one sheet per level, chart of staffed ratio per ward), CSV (UTF-8 with BOM), JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .fields import COLUMNS, LEVEL_ORDER, SHEET_NAMES, Column, Level, definitions, value_of

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
_LEVEL_KEYS: dict[Level, str] = {"province": "provinces", "site": "sites", "counter": "counters", "zone": "zones",
                                 "ranking": "ranking"}
_FORMATS = {"share": "0.0%", "hours": "#,##0.00", "minutes": "#,##0.0", "seconds": "#,##0",
            "people": "#,##0.0", "int": "#,##0", "number": "0.0", "text": "@"}
_VALUES_VI = {"open": "làm việc", "closed": "nghỉ", "no_data": "không có dữ liệu", "future": "chưa đến",
              "weekend": "cuối tuần", "no office hours": "không có giờ làm việc", True: "có", False: "không"}
_VALUES_EN: dict[Any, str] = {True: "yes", False: "no"}


def rows_of(report: dict[str, Any], level: Level) -> list[dict[str, Any]]:
    """Return the rows of one level of a report."""
    rows: list[dict[str, Any]] = report[_LEVEL_KEYS[level]]
    return rows


def cell(row: dict[str, Any], col: Column, language: str) -> Any:
    """Return the value written for one column: numbers as numbers, codes translated to the language."""
    if col.key == "main_issue" and language == "en":
        return row.get("main_issue_en")
    v = value_of(row, col.key)
    if col.kind == "text" and (isinstance(v, bool) or isinstance(v, str)):
        table = _VALUES_VI if language == "vi" else _VALUES_EN
        return table.get(v, v)
    return v


def to_json(report: dict[str, Any]) -> bytes:
    """Return the report as UTF-8 JSON (schema onestop-report/1)."""
    return json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")


def to_csv(report: dict[str, Any], level: Level = "site", language: str = "vi") -> bytes:
    """Return one level as CSV: UTF-8 with BOM (Excel then reads Vietnamese right), header with units.

    Shares are written in percent (the header says so); empty cells are values without data.
    """
    cols = COLUMNS[level]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.header(language) for c in cols])
    for row in rows_of(report, level):
        w.writerow([_csv_value(cell(row, c, language), c) for c in cols])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def _csv_value(v: Any, col: Column) -> Any:
    if v is None:
        return ""
    if col.kind == "share" and isinstance(v, int | float):
        return round(v * 100, 2)  # the header says (%): a CSV has no number format to show a fraction as one
    return v


def _sheet(wb: Workbook, level: Level, report: dict[str, Any], language: str) -> None:
    ws = wb.create_sheet(SHEET_NAMES[level][0 if language == "vi" else 1])
    cols = COLUMNS[level]
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E78")
    for j, c in enumerate(cols, start=1):
        h = ws.cell(row=1, column=j, value=c.header(language))
        h.font, h.fill = head_font, head_fill
        h.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = 28 if c.kind == "text" and c.key in (
            "site_name", "counter_name", "main_issue") else 14
    ws.row_dimensions[1].height = 45
    for i, row in enumerate(rows_of(report, level), start=2):
        for j, c in enumerate(cols, start=1):
            v = cell(row, c, language)
            if v is None:
                continue
            x = ws.cell(row=i, column=j, value=v)
            x.number_format = _FORMATS[c.kind] if not isinstance(v, str) else "@"
    ws.freeze_panes = "A2"
    # Leaders print these: landscape, all columns on one page width, the header row on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"
    if cols:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(1, ws.max_row)}"


def _chart(wb: Workbook, report: dict[str, Any], language: str) -> None:
    """Add a bar chart of the staffed ratio per ward (whole range) under the ranking."""
    ws = wb[SHEET_NAMES["ranking"][0 if language == "vi" else 1]]
    cols = [c.key for c in COLUMNS["ranking"]]
    n = len(rows_of(report, "ranking"))
    if n == 0:
        return
    name_col, value_col = cols.index("site_name") + 1, cols.index("staffed_ratio") + 1
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Tỷ lệ có cán bộ theo phường/xã" if language == "vi" else "Staffed ratio per ward"
    chart.y_axis.title = "%"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.legend = None
    chart.add_data(Reference(ws, min_col=value_col, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=name_col, min_row=2, max_row=n + 1))
    chart.height = max(7.5, 0.6 * n + 3)
    chart.width = 18
    ws.add_chart(chart, f"B{n + 4}")  # under the table: on screen and on the printed page


def _about(wb: Workbook, report: dict[str, Any], language: str) -> None:
    vi = language == "vi"
    ws = wb.create_sheet("Định nghĩa" if vi else "Definitions")
    meta = [("Từ ngày" if vi else "From", report["from"]), ("Đến ngày" if vi else "To", report["to"]),
            ("Chia theo" if vi else "Rows per", report["by"] or ("cả kỳ" if vi else "whole range")),
            ("Lập lúc" if vi else "Generated", report["generated_at"]),
            ("Mục tiêu thời gian chờ (giây)" if vi else "Wait target (s)", report["settings"]["wait_target_s"]),
            ("Độ phủ tối thiểu để xếp hạng" if vi else "Minimum coverage to rank",
             report["settings"]["min_coverage"])]
    for i, (k, v) in enumerate(meta, start=1):
        ws.cell(row=i, column=1, value=k).font = Font(bold=True)
        ws.cell(row=i, column=2, value=v)
    start = len(meta) + 2
    ws.cell(row=start, column=1, value="Cột" if vi else "Column").font = Font(bold=True)
    ws.cell(row=start, column=2, value="Định nghĩa" if vi else "Definition").font = Font(bold=True)
    for i, c in enumerate(definitions(), start=start + 1):
        ws.cell(row=i, column=1, value=c.header(language))
        text = (c.definition_vi or c.definition_en) if vi else c.definition_en
        ws.cell(row=i, column=2, value=text).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 110


def to_xlsx(report: dict[str, Any], language: str = "vi") -> bytes:
    """Return the report as an Excel workbook: ranking, province, ward, counter and queue-zone sheets."""
    wb = Workbook()
    wb.remove(wb.active)
    for level in LEVEL_ORDER:
        _sheet(wb, level, report, language)
    _chart(wb, report, language)
    _about(wb, report, language)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(report: dict[str, Any], fmt: str, language: str = "vi", level: Level = "site") -> bytes:
    """Return the report file in ``fmt`` (xlsx, csv or json); ``level`` picks the CSV table."""
    if fmt == "xlsx":
        return to_xlsx(report, language)
    if fmt == "csv":
        return to_csv(report, level, language)
    if fmt == "json":
        return to_json(report)
    raise ValueError(f"unknown report format {fmt!r}: xlsx, csv or json")
