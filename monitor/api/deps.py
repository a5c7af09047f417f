"""Typed dependencies the routers receive through FastAPI's Depends; no module globals."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from ..alerts.alerting import Alerting
from ..config import LoadedConfig
from ..config.reload_plan import ReloadResult
from ..config.shard import Shard
from ..metrics import Metrics
from ..pipeline.readonly import PipelineView
from ..reports.reporting import Reporting
from .auth import FileToken
from .stills import Stills


@dataclass
class AppParts:
    """What the routers need, each part typed by the face routes may use.

    ``engine`` is the running pipeline's read-only view (None in apps built without one, e.g. for the schema);
    ``reload`` re-reads the config file (a monitor.reload.Reloader); ``file_tokens`` come from
    service.tokens_file and are re-read on reload; ``shard`` is set when this process runs one shard of the sites.
    """

    config: LoadedConfig
    metrics: Metrics
    engine: PipelineView | None
    alerts: Alerting | None = None
    reload: Callable[[], ReloadResult] | None = None
    file_tokens: list[FileToken] = field(default_factory=list)
    reports: Reporting | None = None
    shard: Shard | None = None
    stills: Stills = field(default_factory=Stills)  # analysed frames pages were shown (memory only)
    zone_saves: threading.Lock = field(default_factory=threading.Lock)  # one zone save at a time


def get_parts(request: Request) -> AppParts:
    """Return the AppParts the app was created with."""
    parts: AppParts = request.app.state.parts
    return parts


def pipeline(parts: AppParts) -> PipelineView:
    """Return the running pipeline's view, or answer 503 when this app has none."""
    if parts.engine is None:
        raise HTTPException(503, "the pipeline is not running in this process")
    return parts.engine


class ErrorOut(BaseModel):
    """An error answer: what went wrong, never the input that caused it."""

    detail: str


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid bearer token (when the API has tokens)."},
    403: {"model": ErrorOut, "description": "The token's role is not enough for this request."},
}
"""Documented answers of every route behind ``require``; routers are included with them."""


def _query_names(dependant: Dependant) -> set[str]:
    """Return the query parameter names of a route and of every dependency it has, recursively."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query(request: Request) -> None:
    """Refuse query parameters a route does not take (422), so a typo like ?sites= is not silently ignored."""
    if not request.query_params:
        return
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise RequestValidationError([{"loc": ("query", name[:64]), "msg": "unknown query parameter",
                                       "type": "extra_forbidden"} for name in unknown])
