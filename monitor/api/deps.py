"""Typed dependencies the routers receive through FastAPI's Depends; no module globals."""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from pydantic import BaseModel

from ..config import LoadedConfig
from ..config.service import FileToken
from ..metrics import Metrics

Role = Literal["viewer", "admin"]
_ROLE_RANK = {"viewer": 0, "admin": 1}


@dataclass(frozen=True)
class Principal:
    """Who made a request: a token's name and role, or 'anonymous' when the API has no tokens."""

    name: str
    role: Role


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


_bearer = HTTPBearer(auto_error=False)


class ErrorOut(BaseModel):
    """An error answer: what went wrong, never the input that caused it."""

    detail: str


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid bearer token (when the API has tokens)."},
    403: {"model": ErrorOut, "description": "The token's role is not enough for this request."},
}
"""Documented answers of every route behind ``require``; routers are included with them."""


def _principal(services: Services, creds: HTTPAuthorizationCredentials | None) -> Principal:
    service = services.config.config.service
    if not service.auth_enabled():
        return Principal("anonymous", "admin")
    if creds is None or not creds.credentials:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    given = creds.credentials.encode()
    match: Principal | None = None
    candidates = [(tok.name, tok.role, os.environ.get(tok.env, "")) for tok in service.tokens]
    candidates += [(tok.name, tok.role, tok.token) for tok in services.file_tokens]
    for name, role, value in candidates:
        # Compare against every token, in constant time, so timing tells nothing about which one nearly matched.
        if value and hmac.compare_digest(value.encode(), given):
            match = Principal(name, role)
    if match is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return match


def require(role: Role) -> Callable[..., Principal]:
    """Return a dependency that admits tokens of at least ``role``."""

    def dep(services: Services = Depends(get_services),
            creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        who = _principal(services, creds)
        if _ROLE_RANK[who.role] < _ROLE_RANK[role]:
            raise HTTPException(403, f"this needs the {role} role")
        return who

    return dep


_basic = HTTPBasic(auto_error=False)


def metrics_access(services: Services = Depends(get_services),
                   creds: HTTPBasicCredentials | None = Depends(_basic)) -> None:
    """Admit a /metrics scrape: open unless service.metrics_auth asks for HTTP basic auth."""
    auth = services.config.config.service.metrics_auth
    if auth is None:
        return
    password = os.environ.get(auth.password_env, "")
    challenge = {"WWW-Authenticate": 'Basic realm="metrics"'}
    if creds is None:
        raise HTTPException(401, "metrics need basic auth", headers=challenge)
    # Both compared, always, in constant time; an unset password variable admits nobody.
    user_ok = hmac.compare_digest(creds.username.encode(), auth.user.encode())
    password_ok = hmac.compare_digest(creds.password.encode(), password.encode())
    if not (user_ok and password_ok and password):
        raise HTTPException(401, "invalid metrics credentials", headers=challenge)


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
