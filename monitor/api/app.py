"""FastAPI app factory: one router per resource, services injected, no globals."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .. import __version__
from .deps import Services
from .routes import cameras, health, status


def create_app(services: Services) -> FastAPI:
    """Return the HTTP API over the given services."""
    app = FastAPI(title="onestop-monitor", version=__version__,
                  description="Queue length, staff presence and counter state of one-stop offices, from CCTV.")
    app.state.services = services
    app.include_router(health.router)
    app.include_router(status.router)
    app.include_router(cameras.router)
    try:
        from .routes import alerts
    except ImportError:  # alert routes arrive with the alerts package
        alerts = None  # type: ignore[assignment]
    if alerts is not None:
        app.include_router(alerts.router)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # 422 with the offending fields, but never echo the input back (it may hold a token or URL).
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    return app
