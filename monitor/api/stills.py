"""Analysed frames the pages were shown, kept a little while in memory so picture and detections match."""

from __future__ import annotations

import threading
from collections import OrderedDict

from fastapi import HTTPException

from ..pipeline.readonly import CameraSample, LastSample, PipelineView
from ..sources.avtools import local_path
from ..sources.base import SourceError
from ..sources.replay import frame_at

StillKey = tuple[str | float | int, ...]  # (camera id, "ts" or "t", the time[, the camera config's identity])
STILLS_KEPT = 8  # analysed frames kept in memory for pages (never on disk); ~3 MB each at 720p


class Stills:
    """A few analysed frames kept in memory (never on disk), so a page gets picture and detections of one frame.

    Live samples a page was shown are kept by timestamp; file pictures at chosen video times by that time.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._items: OrderedDict[StillKey, tuple[LastSample, float | None]] = OrderedDict()
        self._lock = threading.Lock()

    def _put(self, key: StillKey, value: tuple[LastSample, float | None]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > STILLS_KEPT:
                self._items.popitem(last=False)

    def _get(self, key: StillKey) -> tuple[LastSample, float | None] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def remember(self, cam: CameraSample, last: LastSample) -> None:
        """Keep a live sample a page was shown, so its picture can be fetched by its timestamp."""
        # Keyed by camera id, not config object: a frame's detections stay true across a zone reload.
        self._put((cam.camera.id, "ts", round(last.frame.ts, 6)), (last, None))

    def by_ts(self, cam: CameraSample, ts: float) -> tuple[LastSample, float | None]:
        """Return a kept live sample by its frame timestamp (the newest one also without being kept)."""
        if cam.last is not None and round(cam.last.frame.ts, 6) == round(ts, 6):
            return cam.last, None
        hit = self._get((cam.camera.id, "ts", round(ts, 6)))
        if hit is None:
            raise HTTPException(404, "that frame is no longer kept: ask for the last sample again")
        return hit

    def at_time(self, pipeline: PipelineView, cam: CameraSample, t: float) -> tuple[LastSample, float | None]:
        """Return the analysed picture of the camera's file at video time t, and the video's length."""
        key = (cam.camera.id, "t", round(t, 2), id(cam.camera))  # a reload (new zones) gives a new camera object
        hit = self._get(key)
        if hit is not None:
            return hit
        try:
            pic = frame_at(local_path(cam.camera.url), t)
        except (SourceError, ValueError) as exc:
            raise HTTPException(404, f"no picture at {t} s: {exc}") from None
        value = (pipeline.analyse_still(cam.camera, pic.image, pic.t), pic.duration_s)
        self._put(key, value)
        return value
