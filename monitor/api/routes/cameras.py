"""GET /api/v1/cameras and the annotated, blurred snapshot of a camera's last sample."""

from __future__ import annotations

import datetime as dt
import logging
import time

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Response

from ...annotate import annotate, blur_regions, encode_jpeg
from ..auth import Principal, require
from ..deps import AppParts, get_parts, pipeline
from ..schemas import CameraOut
from .samples import FrameQ, TimeQ, camera_sample, resolve_sample
from .status import camera_out

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])
access_log = logging.getLogger("monitor.access")


@router.get("", response_model=list[CameraOut], summary="Every camera with its health (no URLs)")
def list_cameras(parts: AppParts = Depends(get_parts),
                 _: Principal = Depends(require("viewer"))) -> list[CameraOut]:
    """Return each camera's health."""
    out = []
    now = time.time()
    sites = {s.id: s for s in parts.config.config.sites}
    for snap in pipeline(parts).snapshots():
        site = sites.get(snap.site)
        if site is None:
            continue
        for cam in site.cameras:
            if cam.id in snap.cameras:
                out.append(camera_out(cam, snap.cameras[cam.id], now, site.id, site.timezone))
    return out


@router.get("/{camera_id}/snapshot.jpg", response_class=Response, summary="Last sampled frame, annotated",
            responses={200: {"content": {"image/jpeg": {}}}, 403: {"description": "raw not allowed"},
                       404: {"description": "unknown camera or no frame yet"}})
def snapshot(camera_id: str, raw: bool = Query(False, description="Unblurred (admin, and only if the config "
                                                                 "allows raw snapshots)"),
             annotated: bool = Query(True, description="Zones and boxes drawn in; false: the (blurred) picture "
                                                       "alone, for drawing over it in the browser"),
             t: TimeQ = None, frame: FrameQ = None,
             parts: AppParts = Depends(get_parts),
             who: Principal = Depends(require("viewer"))) -> Response:
    """Return the camera's last analysed frame with zones and boxes; persons blurred unless raw is allowed."""
    cam = camera_sample(parts, camera_id)
    if raw and not (parts.config.config.service.allow_raw_snapshots and who.role == "admin"):
        raise HTTPException(403, "raw snapshots need the admin role and service.allow_raw_snapshots: true")
    last, _ = resolve_sample(parts, cam, t, frame)
    if annotated:
        image = annotate(last.frame.image, last.detections.values(), cam.camera.zones, last.counts, blur=not raw)
    else:
        dets = [d.xyxy for d in last.detections.values() if len(d)]
        image = last.frame.image if raw else blur_regions(last.frame.image, np.concatenate(dets) if dets
                                                          else np.zeros((0, 4), np.float32))
    # Citizens' images are personal data: every view is recorded (who, when, which camera, raw or not).
    # Structured fields (one JSON log line with who/camera/raw keys), so log tools can filter on them.
    access_log.info("snapshot_view", extra={"event": "snapshot_view", "who": who.name, "camera": camera_id,
                                            "raw": raw, "t": t, "at": dt.datetime.now(dt.UTC).isoformat()})
    return Response(encode_jpeg(image), media_type="image/jpeg",
                    headers={"Cache-Control": "no-store", "X-Frame-Timestamp": f"{last.frame.ts:.3f}"})
