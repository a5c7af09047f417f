"""FastAPI app factory: one router per resource, parts injected, no globals."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .. import __version__
from .deps import AUTH_RESPONSES, AppParts, ErrorOut, reject_unknown_query
from .routes import admin, alerts, cameras, health, me, reports, samples, status, zones

_UNKNOWN_SITE: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "Unknown site."}}
_NO_ALERTING: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body is not JSON."},
    503: {"model": ErrorOut, "description": "Alerting is not running in this process."}}


def create_app(parts: AppParts) -> FastAPI:
    """Return the HTTP API over the given parts."""
    app = FastAPI(title="onestop-monitor", version=__version__,
                  description="Queue length, staff presence and counter state of one-stop offices, from CCTV.",
                  dependencies=[Depends(reject_unknown_query)],
                  docs_url=None, redoc_url=None)  # the console serves both from local files (offline networks)
    app.state.parts = parts
    app.include_router(health.router)
    app.include_router(status.router, responses={**AUTH_RESPONSES, **_UNKNOWN_SITE})
    app.include_router(cameras.router, responses=AUTH_RESPONSES)
    app.include_router(admin.router, responses=AUTH_RESPONSES)
    app.include_router(me.router, responses=AUTH_RESPONSES)
    app.include_router(samples.router, responses=AUTH_RESPONSES)
    app.include_router(zones.router, responses=AUTH_RESPONSES)
    app.include_router(alerts.router, responses={**AUTH_RESPONSES, **_UNKNOWN_SITE, **_NO_ALERTING})
    app.include_router(reports.router, responses=AUTH_RESPONSES)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # 422 with the offending fields, but never echo the input back (it may hold a token or URL).
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    from ..console import install_console

    install_console(app)
    return app
