"""GET /api/v1/status: every site, counter and zone with value, state and staleness."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query

from ...state.model import SiteSnapshot, ViewReading
from ..auth import Principal, require
from ..deps import AppParts, get_parts, pipeline
from ..schemas import CameraOut, CounterOut, ShardOut, SiteOut, StatusOut, ViewOut, ZoneOut

router = APIRouter(prefix="/api/v1", tags=["status"])


def seconds(value: float | None) -> float | None:
    """Round a duration to 0.1 s for an answer: finer digits are noise at a 1-2 s sampling interval."""
    return None if value is None else round(float(value), 1)


def local_time(at: dt.datetime | float, timezone: str) -> dt.datetime:
    """Return a time in the site's time zone with its UTC offset (e.g. +07:00), to the millisecond."""
    when = at if isinstance(at, dt.datetime) else dt.datetime.fromtimestamp(at, dt.UTC)
    when = when.astimezone(ZoneInfo(timezone))
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def site_out(parts: AppParts, snap: SiteSnapshot) -> SiteOut:
    """Build the response model of one site snapshot."""
    site = next(s for s in parts.config.config.sites if s.id == snap.site)
    now = snap.at.timestamp()
    zones = [ZoneOut(id=z.zone, camera=z.camera, kind=z.kind, counter=z.counter, value=z.value, last_count=z.raw,
                     age_s=seconds(z.age_s), stale=z.value is None, estimated_wait_s=seconds(z.estimated_wait_s))
             for z in snap.zones.values()]
    counters = [CounterOut(id=c.counter, name=c.name, staffed=c.staffed, state=c.state, front_people=c.front_people,
                           session_s=seconds(c.session_s), served_total=c.served_total,
                           mean_service_s=seconds(c.mean_service_s), staff_zone=c.staff_zone,
                           front_wait_s=seconds(c.front_wait_s), discarded=c.discarded)
                for c in snap.counters.values()]
    cams = {c.id: c for c in site.cameras}
    cameras = [camera_out(cams[c.camera], c, now, site.id, site.timezone) for c in snap.cameras.values()
               if c.camera in cams]
    return SiteOut(id=site.id, name=site.name, province=site.province, open=snap.open,
                   at=local_time(snap.at, site.timezone), zones=zones, counters=counters, cameras=cameras)


def camera_out(cam: object, reading: object, now: float, site_id: str, timezone: str | None = None) -> CameraOut:
    """Build a camera's response model (no URL: it may hold credentials); times in ``timezone`` when given."""
    last = getattr(reading, "last_frame_ts", None)
    last_at = None if last is None or timezone is None else local_time(last, timezone)
    return CameraOut(id=cam.id, site=site_id, name=cam.name, up=reading.up,  # type: ignore[attr-defined]
                     last_frame_ts=last, last_frame_at=last_at,
                     last_frame_age_s=None if last is None else seconds(max(0.0, now - last)),
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
               parts: AppParts = Depends(get_parts),
               _: Principal = Depends(require("viewer"))) -> StatusOut:
    """Return the latest state; zone values are null while their camera is stale."""
    snaps = pipeline(parts).snapshots()
    shard = parts.shard
    if site is not None:
        snaps = [s for s in snaps if s.site == site]
        if not snaps:
            if shard is not None:
                from ...config.shard import shard_of

                raise HTTPException(404, f"site {site!r} is not run by this process (shard {shard}); if it is in "
                                         f"the config, shard {shard_of(site, shard.count)}/{shard.count} runs it")
            raise HTTPException(404, f"unknown site {site!r}")
    known = {s.id for s in parts.config.config.sites}
    # During a reload a snapshot may briefly name a site the new config no longer has: leave it out.
    return StatusOut(sites=[site_out(parts, s) for s in snaps if s.site in known],
                     shard=None if shard is None else ShardOut(index=shard.index, count=shard.count,
                                                               sites=sorted(known)))
