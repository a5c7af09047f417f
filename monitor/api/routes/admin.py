"""POST /api/v1/reload (admin): apply the config file again without restarting the service."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...config.reload_plan import ReloadResult
from ..auth import Principal, require
from ..deps import AppParts, get_parts

router = APIRouter(prefix="/api/v1", tags=["admin"])
access_log = logging.getLogger("monitor.access")


class ReloadOut(BaseModel):
    """What a reload changed, or why it was refused (the running config is then kept)."""

    applied: bool = Field(description="True when the new config is running now.")
    errors: list[str] = Field(description="Why it was refused: the same lines `check-config` prints.")
    cameras_added: list[str] = Field(default_factory=list)
    cameras_removed: list[str] = Field(default_factory=list)
    cameras_restarted: list[str] = Field(default_factory=list,
                                         description="Source settings changed: reconnected.")
    cameras_updated: list[str] = Field(default_factory=list,
                                       description="Zones or other settings changed; the stream kept going.")
    cameras_unchanged: list[str] = Field(default_factory=list,
                                         description="Untouched: same stream, same smoothing state.")
    sites_added: list[str] = Field(default_factory=list)
    sites_removed: list[str] = Field(default_factory=list)
    sites_rebuilt: list[str] = Field(default_factory=list,
                                     description="Hours, counters or smoothing changed: their state restarts.")
    restart_required: list[str] = Field(default_factory=list,
                                        description="Changes that take effect only after a restart (detector "
                                                    "model and settings, listen address, state_dir).")


def reload_out(result: ReloadResult) -> ReloadOut:
    """Build the response model of a reload result."""
    p = result.plan
    if p is None:
        return ReloadOut(applied=result.applied, errors=result.errors)
    return ReloadOut(applied=result.applied, errors=result.errors, cameras_added=list(p.cameras_added),
                     cameras_removed=list(p.cameras_removed), cameras_restarted=list(p.cameras_restarted),
                     cameras_updated=list(p.cameras_updated), cameras_unchanged=list(p.cameras_unchanged),
                     sites_added=list(p.sites_added), sites_removed=list(p.sites_removed),
                     sites_rebuilt=list(p.sites_rebuilt), restart_required=list(p.restart_required))


@router.post("/reload", response_model=ReloadOut, summary="Reload the config file (admin)",
             responses={400: {"model": ReloadOut, "description": "The new config is invalid; the running one "
                                                                 "is kept."},
                        503: {"description": "This process cannot reload (no config file)."}})
def post_reload(parts: Annotated[AppParts, Depends(get_parts)],
                who: Annotated[Principal, Depends(require("admin"))]) -> ReloadOut | JSONResponse:
    """Re-read the config file and apply it: cameras, zones and rules added, removed or changed."""
    if parts.reload is None:
        raise HTTPException(503, "reload is not available in this process")
    result = parts.reload()
    access_log.info("reload", extra={"event": "reload", "who": who.name, "applied": result.applied})
    out = reload_out(result)
    if not result.applied:
        return JSONResponse(out.model_dump(), status_code=400)
    return out
