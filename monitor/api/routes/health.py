"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..auth import metrics_access
from ..deps import AppParts, get_parts

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Return ok while the process is alive."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: model loaded, config valid, engine running",
            responses={503: {"description": "not ready"}})
def readyz(parts: AppParts = Depends(get_parts)) -> JSONResponse:
    """Return 200 when the model is loaded and the engine runs, else 503 with the reason."""
    ready = parts.engine.ready() if parts.engine is not None else None
    checks = {
        "config": True,
        "model": ready is not None and ready.model,
        "engine": ready is not None and ready.running,
    }
    ok = all(checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            dependencies=[Depends(metrics_access)],
            responses={401: {"description": "service.metrics_auth is set and the basic auth is missing or wrong"}})
def metrics(parts: AppParts = Depends(get_parts)) -> Response:
    """Return every metric in the Prometheus text format."""
    return Response(generate_latest(parts.metrics.registry), media_type=CONTENT_TYPE_LATEST)
