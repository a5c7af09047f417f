"""GET /api/v1/cameras/{id}/sample: the detections of a camera's last sample (or of a file's picture at a time)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from ...config import CameraConfig, ZoneConfig
from ...detect.detections import Detections
from ...pipeline.readonly import CameraSample, LastSample
from ...sources.factory import guess_type
from ...zones import ANCHORS, anchor_points, zone_masks
from ..auth import Principal, require
from ..deps import AppParts, get_parts, pipeline

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])


class DetectionOut(BaseModel):
    """One detected person (or head) and the zones that count it."""

    kind: str = Field(description="person or head (the model that found it).")
    box: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 in pixels of the frame.")
    confidence: float
    anchors: dict[str, tuple[float, float]] = Field(description="Each anchor point (feet, center, head, hips) "
                                                                "in pixels.")
    zones: list[str] = Field(description="Ids of the zones that count this detection.")


class SampleZoneOut(BaseModel):
    """A zone as the running config has it, with the anchor it really uses."""

    id: str
    kind: str
    counter: str | None
    polygon: list[tuple[float, float]]
    anchor: str = Field(description="The anchor once 'auto' is decided.")
    count_mode: str
    name: str | None


class SampleOut(BaseModel):
    """What the camera's last analysed frame showed, for drawing over its blurred picture."""

    camera: str
    site: str
    ts: float = Field(description="Unix time of the frame (same as the snapshot's X-Frame-Timestamp).")
    t: float | None = Field(None, description="Video time of the picture, for a file camera viewed at a time.")
    width: int
    height: int
    source: str = Field(description="stream, snapshot, file or image.")
    duration_s: float | None = Field(None, description="Length of a file camera's video.")
    detections: list[DetectionOut]
    counts: dict[str, int] = Field(description="People per zone in this frame (before smoothing).")
    zones: list[SampleZoneOut]


def source_kind(cam: CameraConfig) -> str:
    """Return what a camera reads: stream, snapshot, file or image."""
    return guess_type(cam.url) if cam.type == "auto" else cam.type


def membership(dets: Mapping[str, Detections], zones: Sequence[ZoneConfig]) -> list[DetectionOut]:
    """Return each detection with its anchor points and the zones that count it (the counting rule itself)."""
    masks = zone_masks(dets, zones)
    out = []
    for kind, d in dets.items():
        anchors = {a: anchor_points(d, a) for a in ANCHORS}
        for i in range(len(d)):
            x1, y1, x2, y2 = (float(v) for v in d.xyxy[i])
            counted = [z.id for z in zones if z.count_mode == kind and z.id in masks and bool(masks[z.id][i])]
            out.append(DetectionOut(kind=kind, box=(x1, y1, x2, y2), confidence=float(d.confidence[i]),
                                    anchors={a: (float(p[i][0]), float(p[i][1])) for a, p in anchors.items()},
                                    zones=counted))
    return out


def zone_out(z: ZoneConfig) -> SampleZoneOut:
    """Return a zone of the running config for drawing."""
    return SampleZoneOut(id=z.id, kind=z.kind, counter=z.counter, polygon=list(z.polygon),
                         anchor=z.resolved_anchor(), count_mode=z.count_mode, name=z.name)


def camera_sample(parts: AppParts, camera_id: str) -> CameraSample:
    """Return the running camera with its last sample, or raise 404."""
    cam = pipeline(parts).camera(camera_id)
    if cam is None:
        raise HTTPException(404, f"unknown camera {camera_id!r}")
    return cam


def resolve_sample(parts: AppParts, cam: CameraSample, t: float | None,
                   frame: float | None) -> tuple[LastSample, float | None]:
    """Return a file camera's picture at video time t, a kept frame by timestamp, else the last sample.

    The second value is the video's length (file pictures only).
    """
    if t is not None:
        if source_kind(cam.camera) != "file":
            raise HTTPException(400, "t (a video time) is only for cameras that read a video file")
        return parts.stills.at_time(pipeline(parts), cam, t)
    if frame is not None:
        return parts.stills.by_ts(cam, frame)
    if cam.last is None:
        raise HTTPException(404, "no frame sampled yet")
    return cam.last, None


CameraId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", description="Camera id.")]
TimeQ = Annotated[float | None, Query(ge=0, le=86400 * 7, description="File cameras: the picture at this video "
                                                                     "time (seconds) instead of the last sample.")]
FrameQ = Annotated[float | None, Query(ge=0, description="A frame by its timestamp (`ts` of a sample shown "
                                                         "recently), so picture and detections match.")]


@router.get("/{camera_id}/sample", response_model=SampleOut, summary="Detections of the camera's last frame",
            responses={400: {"description": "t given for a camera that is not a file"},
                       404: {"description": "unknown camera or no frame yet"}})
def get_sample(camera_id: CameraId, parts: Annotated[AppParts, Depends(get_parts)],
               _: Annotated[Principal, Depends(require("viewer"))], t: TimeQ = None) -> SampleOut:
    """Return each detection of the last analysed frame with its anchor points and the zones counting it.

    Ask for the picture of the same frame with `snapshot.jpg?frame=<ts>` (kept a little while in memory).
    """
    cam = camera_sample(parts, camera_id)
    last, duration = resolve_sample(parts, cam, t, None)
    if t is None:
        parts.stills.remember(cam, last)
    return sample_out(cam, last, duration, cam.camera.zones)


def sample_out(cam: CameraSample, last: LastSample, duration: float | None,
               zones: Sequence[ZoneConfig]) -> SampleOut:
    """Build the answer for one analysed frame against a list of zones."""
    h, w = last.frame.image.shape[:2]
    kind = source_kind(cam.camera)
    counts: dict[str, Any] = dict(last.counts)
    return SampleOut(camera=cam.camera.id, site=cam.site, ts=last.frame.ts,
                     t=last.frame.pts if last.frame.seq < 0 else None, width=w, height=h, source=kind,
                     duration_s=duration, detections=membership(last.detections, zones), counts=counts,
                     zones=[zone_out(z) for z in zones])
