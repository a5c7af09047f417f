"""GET /api/v1/cameras/{id}/sample: the detections of a camera's last sample (or of a file's picture at a time)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from ...config import CameraConfig, ZoneConfig
from ...detect.detections import Detections
from ...pipeline.engine import CameraRuntime, LastSample
from ...sources import Frame
from ...sources.base import SourceError
from ...sources.factory import guess_type
from ...sources.replay import frame_at
from ...sources.stream import local_path
from ...zones import ANCHORS, anchor_points, zone_masks
from ..auth import Principal, require
from ..deps import Services, get_services

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])

STILLS_KEPT = 8  # analysed frames kept in memory for pages (never on disk); ~3 MB each at 720p


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


class Stills:
    """A few analysed frames kept in memory (never on disk), so a page gets picture and detections of one frame.

    Live samples a page was shown are kept by timestamp; file pictures at chosen video times by that time.
    """

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[Any, ...], tuple[LastSample, float | None]] = OrderedDict()
        self._lock = threading.Lock()

    def _put(self, key: tuple[Any, ...], value: tuple[LastSample, float | None]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > STILLS_KEPT:
                self._items.popitem(last=False)

    def _get(self, key: tuple[Any, ...]) -> tuple[LastSample, float | None] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def remember(self, rt: CameraRuntime, last: LastSample) -> None:
        """Keep a live sample a page was shown, so its picture can be fetched by its timestamp."""
        # Keyed by camera id, not config object: a frame's detections stay true across a zone reload.
        self._put((rt.camera.id, "ts", round(last.frame.ts, 6)), (last, None))

    def by_ts(self, rt: CameraRuntime, ts: float) -> tuple[LastSample, float | None]:
        """Return a kept live sample by its frame timestamp (the newest one also without being kept)."""
        if rt.last is not None and round(rt.last.frame.ts, 6) == round(ts, 6):
            return rt.last, None
        hit = self._get((rt.camera.id, "ts", round(ts, 6)))
        if hit is None:
            raise HTTPException(404, "that frame is no longer kept: ask for the last sample again")
        return hit

    def at_time(self, services: Services, rt: CameraRuntime, t: float) -> tuple[LastSample, float | None]:
        """Return the analysed picture of the camera's file at video time t, and the video's length."""
        key = (rt.camera.id, "t", round(t, 2), id(rt.camera))  # a reload (new zones) gives a new camera object
        hit = self._get(key)
        if hit is not None:
            return hit
        try:
            pic = frame_at(local_path(rt.camera.url), t)
        except (SourceError, ValueError) as exc:
            raise HTTPException(404, f"no picture at {t} s: {exc}") from None
        analysis = services.engine.analyser.analyse([(rt.camera, pic.image)])[0]
        frame = Frame(pic.image, services.engine.clock(), pic.t, -1)
        value = (LastSample(frame, analysis.detections, analysis.counts), pic.duration_s)
        self._put(key, value)
        return value


def camera_runtime(services: Services, camera_id: str) -> CameraRuntime:
    """Return the running camera or raise 404."""
    rt: CameraRuntime | None = services.engine.cameras.get(camera_id)
    if rt is None:
        raise HTTPException(404, f"unknown camera {camera_id!r}")
    return rt


def get_stills(services: Services = Depends(get_services)) -> Stills:
    """Return the app's store of file-camera pictures."""
    stills: Stills = services.extra.setdefault("stills", Stills())
    return stills


def resolve_sample(services: Services, rt: CameraRuntime, t: float | None, frame: float | None,
                   stills: Stills) -> tuple[LastSample, float | None]:
    """Return a file camera's picture at video time t, a kept frame by timestamp, else the last sample.

    The second value is the video's length (file pictures only).
    """
    if t is not None:
        if source_kind(rt.camera) != "file":
            raise HTTPException(400, "t (a video time) is only for cameras that read a video file")
        return stills.at_time(services, rt, t)
    if frame is not None:
        return stills.by_ts(rt, frame)
    if rt.last is None:
        raise HTTPException(404, "no frame sampled yet")
    return rt.last, None


CameraId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", description="Camera id.")]
TimeQ = Annotated[float | None, Query(ge=0, le=86400 * 7, description="File cameras: the picture at this video "
                                                                     "time (seconds) instead of the last sample.")]
FrameQ = Annotated[float | None, Query(ge=0, description="A frame by its timestamp (`ts` of a sample shown "
                                                         "recently), so picture and detections match.")]


@router.get("/{camera_id}/sample", response_model=SampleOut, summary="Detections of the camera's last frame",
            responses={400: {"description": "t given for a camera that is not a file"},
                       404: {"description": "unknown camera or no frame yet"}})
def get_sample(camera_id: CameraId, services: Annotated[Services, Depends(get_services)],
               _: Annotated[Principal, Depends(require("viewer"))],
               stills: Annotated[Stills, Depends(get_stills)], t: TimeQ = None) -> SampleOut:
    """Return each detection of the last analysed frame with its anchor points and the zones counting it.

    Ask for the picture of the same frame with `snapshot.jpg?frame=<ts>` (kept a little while in memory).
    """
    rt = camera_runtime(services, camera_id)
    last, duration = resolve_sample(services, rt, t, None, stills)
    if t is None:
        stills.remember(rt, last)
    return sample_out(rt, last, duration, rt.camera.zones)


def sample_out(rt: CameraRuntime, last: LastSample, duration: float | None,
               zones: Sequence[ZoneConfig]) -> SampleOut:
    """Build the answer for one analysed frame against a list of zones."""
    h, w = last.frame.image.shape[:2]
    kind = source_kind(rt.camera)
    counts: dict[str, Any] = dict(last.counts)
    return SampleOut(camera=rt.camera.id, site=rt.site.id, ts=last.frame.ts,
                     t=last.frame.pts if last.frame.seq < 0 else None, width=w, height=h, source=kind,
                     duration_s=duration, detections=membership(last.detections, zones), counts=counts,
                     zones=[zone_out(z) for z in zones])
