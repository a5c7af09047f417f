"""GET /api/v1/me: who the bearer token belongs to and what it may do (the console asks this at sign-in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ..auth import Principal, require
from ..deps import AppParts, get_parts

router = APIRouter(prefix="/api/v1", tags=["session"])


class MeOut(BaseModel):
    """The caller as the API sees it."""

    name: str = Field(description="The token's name ('anonymous' when the API has no tokens).")
    role: str = Field(description="viewer or admin.")
    auth: bool = Field(description="False when the API has no tokens (open, loopback only by default).")


@router.get("/me", response_model=MeOut, summary="Who this token is")
def get_me(parts: Annotated[AppParts, Depends(get_parts)],
           who: Annotated[Principal, Depends(require("viewer"))]) -> MeOut:
    """Return the token's name and role."""
    return MeOut(name=who.name, role=who.role, auth=parts.config.config.service.auth_enabled())
