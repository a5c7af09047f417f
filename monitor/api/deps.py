"""Typed dependencies the routers receive through FastAPI's Depends; no module globals."""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..config import LoadedConfig
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
    reload: Callable[[], list[str]] | None = None  # returns errors; empty when applied
    extra: dict[str, Any] = field(default_factory=dict)


def get_services(request: Request) -> Services:
    """Return the Services the app was created with."""
    services: Services = request.app.state.services
    return services


_bearer = HTTPBearer(auto_error=False)


def _principal(services: Services, creds: HTTPAuthorizationCredentials | None) -> Principal:
    tokens = services.config.config.service.tokens
    if not tokens:
        return Principal("anonymous", "admin")
    if creds is None or not creds.credentials:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    given = creds.credentials.encode()
    match: Principal | None = None
    for tok in tokens:
        value = os.environ.get(tok.env, "")
        # Compare against every token, in constant time, so timing tells nothing about which one nearly matched.
        if value and hmac.compare_digest(value.encode(), given):
            match = Principal(tok.name, tok.role)
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
