"""GET /api/v1/status: every site, counter and zone with value, state and staleness."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query

from ...state.model import SiteSnapshot, ViewReading
from ..deps import Principal, Services, get_services, require
from ..schemas import CameraOut, CounterOut, SiteOut, StatusOut, ViewOut, ZoneOut

router = APIRouter(prefix="/api/v1", tags=["status"])


def site_out(services: Services, snap: SiteSnapshot) -> SiteOut:
    """Build the response model of one site snapshot."""
    site = next(s for s in services.config.config.sites if s.id == snap.site)
    now = snap.at.timestamp()
    zones = [ZoneOut(id=z.zone, camera=z.camera, kind=z.kind, counter=z.counter, value=z.value, last_count=z.raw,
                     age_s=z.age_s, stale=z.value is None, estimated_wait_s=z.estimated_wait_s)
             for z in snap.zones.values()]
    counters = [CounterOut(id=c.counter, name=c.name, staffed=c.staffed, state=c.state, front_people=c.front_people,
                           session_s=c.session_s, served_total=c.served_total, mean_service_s=c.mean_service_s,
                           staff_zone=c.staff_zone, front_wait_s=c.front_wait_s, discarded=c.discarded)
                for c in snap.counters.values()]
    cams = {c.id: c for c in site.cameras}
    cameras = [camera_out(cams[c.camera], c, now, site.id) for c in snap.cameras.values() if c.camera in cams]
    return SiteOut(id=site.id, name=site.name, province=site.province, open=snap.open, at=snap.at, zones=zones,
                   counters=counters, cameras=cameras)


def camera_out(cam: object, reading: object, now: float, site_id: str) -> CameraOut:
    """Build a camera's response model (no URL: it may hold credentials)."""
    last = getattr(reading, "last_frame_ts", None)
    return CameraOut(id=cam.id, site=site_id, name=cam.name, up=reading.up,  # type: ignore[attr-defined]
                     last_frame_ts=last, last_frame_age_s=None if last is None else max(0.0, now - last),
                     reconnects=reading.reconnects, error=reading.error,  # type: ignore[attr-defined]
                     decode_mode=reading.decode_mode,  # type: ignore[attr-defined]
                     sample_every_s=cam.sample_every, zones=[z.id for z in cam.zones],  # type: ignore[attr-defined]
                     view=view_out(getattr(reading, "view", None)))


def view_out(view: ViewReading | None) -> ViewOut | None:
    """Build the view check's response model (None: the check is off)."""
    if view is None:
        return None
    return ViewOut(shift_ratio=view.shift_ratio, moved=view.moved, threshold=view.threshold,
                   reference_at=view.reference_at, checked_at=view.checked_at)


@router.get("/status", response_model=StatusOut, summary="State of every site, counter, zone and camera")
def get_status(site: str | None = Query(None, description="Only this site id"),
               services: Services = Depends(get_services),
               _: Principal = Depends(require("viewer"))) -> StatusOut:
    """Return the latest state; zone values are null while their camera is stale."""
    snaps = services.engine.snapshots()
    if site is not None:
        snaps = [s for s in snaps if s.site == site]
        if not snaps:
            raise HTTPException(404, f"unknown site {site!r}")
    known = {s.id for s in services.config.config.sites}
    # During a reload a snapshot may briefly name a site the new config no longer has: leave it out.
    return StatusOut(sites=[site_out(services, s) for s in snaps if s.site in known])
