"""Pick the source class for a camera URL, and grab a single frame from any camera."""

from __future__ import annotations

import time
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from ..config import CameraConfig
from .avtools import local_path, scheme
from .base import CameraSource, Frame, SourceError
from .file import FileSource
from .health import SourceOptions
from .image import IMAGE_SUFFIXES, ImageSource
from .snapshot import SnapshotSource
from .stream import StreamSource

SNAPSHOT_SUFFIXES = (".jpg", ".jpeg", ".png")


def guess_type(url: str) -> str:
    """Return the source type for a URL: 'snapshot', 'image', 'file' or 'stream'.

    >>> [guess_type(u) for u in ("http://cam/cgi-bin/snapshot.cgi", "rtsp://cam/h264", "demo.png", "a.mp4")]
    ['snapshot', 'stream', 'image', 'file']
    """
    s = scheme(url)
    if s in ("http", "https"):
        path = urlsplit(url).path.lower()
        return "snapshot" if path.endswith(SNAPSHOT_SUFFIXES) or "snapshot" in path else "stream"
    if s in ("", "file"):
        return "image" if PurePosixPath(local_path(url)).suffix.lower() in IMAGE_SUFFIXES else "file"
    return "stream"


def open_source(camera: CameraConfig, options: SourceOptions | None = None) -> CameraSource:
    """Return a (not yet started) source for the camera, by camera.type or, for 'auto', by its URL."""
    kind = guess_type(camera.url) if camera.type == "auto" else camera.type
    if kind == "snapshot":
        return SnapshotSource(camera, options)
    if kind == "image":
        return ImageSource(camera, options)
    if kind == "file":
        return FileSource(camera, options)
    return StreamSource(camera, options)


def grab_frame(camera: CameraConfig, timeout: float = 20.0, options: SourceOptions | None = None) -> Frame:
    """Return one frame from the camera; raise SourceError (the camera's own reason) if none comes in time.

    The first failure ends the wait: a one-shot command should report a wrong password now, not after retries.
    """
    source = open_source(camera, options)
    source.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            frame = source.wait_frame(min(0.2, max(0.0, deadline - time.monotonic())))
            if frame is not None:
                return frame
            failure = source.last_failure()
            if failure is not None:
                raise failure
            if not source.running:
                frame = source.latest()  # it may have delivered one just before ending
                if frame is not None:
                    return frame
                raise SourceError("eof", "the source ended without a frame")
            if time.monotonic() >= deadline:
                raise SourceError("timeout", f"no frame within {timeout:.0f} s")
    finally:
        source.stop(timeout=1.0)
