"""GET /api/v1/reports (figures as JSON, CSV or XLSX) and the signed download of scheduled report files."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, create_model

from ...reports.fields import COLUMNS, Column, Level
from ...reports.figures import ReportRequest
from ...reports.files import LinkError
from ...reports.periods import MAX_DAYS
from ...reports.reporting import Reporting
from ...reports.writers import MEDIA_TYPES, render
from ..auth import Principal, require
from ..deps import AppParts, ErrorOut, get_parts

router = APIRouter(prefix="/api/v1", tags=["reports"])


def _type(col: Column) -> Any:
    if col.key == "ranked":
        return bool
    if col.kind == "text":
        return str | None
    if col.kind == "int":
        return int | None
    return float | None


def _row_model(level: Level, name: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    alert_keys = [c.key.split(".", 1)[1] for c in COLUMNS[level] if c.key.startswith("alerts.")]
    for col in COLUMNS[level]:
        if col.key.startswith("alerts."):
            continue
        desc = f"{col.en}. {col.definition_en}".strip()
        fields[col.key] = (_type(col), Field(description=desc))
    if alert_keys:
        fields["alerts"] = (dict[str, int] | None, Field(
            description=f"Alerts that started firing in the period, by kind ({', '.join(alert_keys)}); null when "
                        "closed."))
    if level == "ranking":
        fields["main_issue_en"] = (str | None, Field(description="The main issue in English."))
        fields["components"] = (dict[str, float | None], Field(
            description="Score components 0..1 (higher is better): staffed_ratio, waiting_unstaffed "
                        "(1 - waiting-unstaffed share), service_level."))
    model: type[BaseModel] = create_model(name, __doc__=f"One {level} row of a report.", **fields)
    return model


ProvinceRow = _row_model("province", "ReportProvinceRow")
SiteRow = _row_model("site", "ReportSiteRow")
CounterRow = _row_model("counter", "ReportCounterRow")
ZoneRow = _row_model("zone", "ReportZoneRow")
RankingRow = _row_model("ranking", "ReportRankingRow")


class PeriodOut(BaseModel):
    """A row period."""

    id: str = Field(description="2026-12-01, 2026-W49, 2026-12, or 'first..last' for the whole range.")
    from_: dt.date = Field(alias="from")
    to: dt.date


class ReportOut(BaseModel):
    """A report (schema onestop-report/1): one list of rows per level, and the ward ranking per province.

    Shares are 0..1, durations in the unit their key names (_h, _min, _s). A value is null when there is no
    data for it (closed, no data, future) — never a made-up zero.
    """

    schema_: Literal["onestop-report/1"] = Field(alias="schema", description="Schema id; changes when a key does.")
    generated_at: dt.datetime
    from_: dt.date = Field(alias="from")
    to: dt.date
    by: Literal["day", "week", "month"] | None
    site: str | None
    province: str | None
    settings: dict[str, Any] = Field(description="wait_target_s, queue_threshold_default, min_coverage, "
                                                 "ranking_weights.")
    periods: list[PeriodOut]
    provinces: list[ProvinceRow]  # type: ignore[valid-type]
    sites: list[SiteRow]  # type: ignore[valid-type]
    counters: list[CounterRow]  # type: ignore[valid-type]
    zones: list[ZoneRow]  # type: ignore[valid-type]
    ranking: list[RankingRow]  # type: ignore[valid-type]


_FILE_TYPES = {MEDIA_TYPES["csv"].split(";")[0]: {"schema": {"type": "string"}},
               MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}
REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The report: JSON (format=json, the default), CSV or XLSX.", "content": _FILE_TYPES},
    404: {"model": ErrorOut, "description": "No such report: unknown site or province, 'to' before 'from', a "
                                            "range over 800 days, or dates outside 2000-2100."},
    503: {"model": ErrorOut, "description": "Reports are not running in this process."},
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The report file.", "content": {**_FILE_TYPES, "application/json": {}}},
    403: {"model": ErrorOut, "description": "Wrong signature, or the link has expired."},
    404: {"model": ErrorOut, "description": "No such report file (any more)."},
    503: {"model": ErrorOut, "description": "Reports are not running in this process."},
}

PartsDep = Annotated[AppParts, Depends(get_parts)]
FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def _reports(parts: AppParts) -> Reporting:
    reports = parts.reports
    if reports is None:
        raise HTTPException(503, "reports are not running in this process")
    return reports


@router.get("/reports", response_model=ReportOut, response_model_by_alias=True, responses=REPORT_RESPONSES,
            summary="Office-hour figures per counter, queue zone, ward and province, and the ward ranking")
def get_report(parts: PartsDep, _: Annotated[Principal, Depends(require("viewer"))],
               from_: Annotated[dt.date, Query(alias="from", description="First local date (YYYY-MM-DD)")],
               to: Annotated[dt.date, Query(description="Last local date, inclusive")],
               by: Annotated[Literal["day", "week", "month", "range"], Query(
                   description="One row per day, ISO week, month, or one for the whole range")] = "day",
               site: Annotated[str | None, Query(description="Only this site id")] = None,
               province: Annotated[str | None, Query(description="Only the sites of this province")] = None,
               format: Annotated[Literal["json", "csv", "xlsx"], Query(  # noqa: A002 - the documented name
                   description="json (default), csv (one level, UTF-8 with BOM) or xlsx")] = "json",
               level: Annotated[Literal["site", "counter", "zone", "province", "ranking"], Query(
                   description="The table a CSV holds")] = "site",
               lang: Annotated[Literal["vi", "en"], Query(description="Headers of CSV/XLSX")] = "vi") -> Any:
    """Return the report; JSON rows are ready to chart (one list per level, keys documented in ReportOut)."""
    reports = _reports(parts)
    # Not expressible in OpenAPI, so not a 422: there is simply no such report.
    if to < from_:
        raise HTTPException(404, "'to' is before 'from'")
    if (to - from_).days >= MAX_DAYS:
        raise HTTPException(404, f"the range is longer than {MAX_DAYS} days")
    if from_ < FIRST_DATE or to > LAST_DATE:
        raise HTTPException(404, f"dates must lie between {FIRST_DATE} and {LAST_DATE}")
    req = ReportRequest(from_, to, None if by == "range" else by, site, province)
    try:
        report = reports.build(req, dt.datetime.now(dt.UTC).astimezone())
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None
    if format == "json":
        return report
    data = render(report, format, lang, level)
    name = f"onestop-{from_.isoformat()}-{to.isoformat()}{'-' + level if format == 'csv' else ''}.{format}"
    return Response(data, media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/reports/files/{name}", responses=FILE_RESPONSES, response_class=FileResponse,
            summary="Download a scheduled report file through its signed, expiring link (no token needed)")
def get_report_file(parts: PartsDep,
                    name: Annotated[str, Path(max_length=160, description="File name from the link")],
                    expires: Annotated[int, Query(ge=0, le=2**40, description="Unix time the link expires")],
                    sig: Annotated[str, Query(max_length=128, description="Hex HMAC-SHA256 of name and expiry")]
                    ) -> FileResponse:
    """Serve the file when the signature matches and the link has not expired; the link is the credential."""
    reports = _reports(parts)
    try:
        path = reports.files.open_signed(name, expires, sig)
    except LinkError as exc:
        code = 404 if str(exc) in ("file no longer kept", "not a report file name") else 403
        raise HTTPException(code, str(exc)) from None
    fmt = name.rsplit(".", 1)[-1]
    return FileResponse(path, media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"), filename=name)

