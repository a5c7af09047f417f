"""Typed dependencies the routers receive through FastAPI's Depends; no module globals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from ..config import LoadedConfig
from ..metrics import Metrics
from .auth import FileToken


@dataclass
class Services:
    """What the routers need. ``engine`` is the running pipeline, ``alerts`` the alert service (or None)."""

    config: LoadedConfig
    metrics: Metrics
    engine: Any
    alerts: Any = None
    reload: Callable[[], Any] | None = None  # a monitor.reload.Reloader: returns a ReloadResult
    file_tokens: list[FileToken] = field(default_factory=list)  # from service.tokens_file, re-read on reload
    extra: dict[str, Any] = field(default_factory=dict)
    shard: Any = None  # a monitor.config.shard.Shard when this process runs one shard of the sites


def get_services(request: Request) -> Services:
    """Return the Services the app was created with."""
    services: Services = request.app.state.services
    return services


class ErrorOut(BaseModel):
    """An error answer: what went wrong, never the input that caused it."""

    detail: str


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid bearer token (when the API has tokens)."},
    403: {"model": ErrorOut, "description": "The token's role is not enough for this request."},
}
"""Documented answers of every route behind ``require``; routers are included with them."""


def _query_names(dependant: Any) -> set[str]:
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
