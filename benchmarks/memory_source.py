"""A camera made of decoded frames held in memory: measures the pipeline without network or decoding costs."""

from __future__ import annotations

import threading
import time

import numpy as np

from monitor.config import CameraConfig
from monitor.sources import CameraSource, Frame, SourceStatus


class MemorySource(CameraSource):
    """Serves a shared list of decoded frames in turn; every ``latest()`` call is a new, just-captured frame.

    No thread, no socket, no decoder: thousands of these cost nothing but the engine's own work, which is
    what a GPU throughput run (``bench --source memory``) must isolate. ``offset`` staggers cameras so a
    batch holds different pictures.
    """

    def __init__(self, camera: CameraConfig, frames: list[np.ndarray], offset: int = 0) -> None:
        super().__init__(camera)
        if not frames:
            raise ValueError("MemorySource needs at least one frame")
        self._frames = frames
        self._next = offset % len(frames)
        self._count = 0
        self._lock = threading.Lock()
        self._running = False

    def _session(self) -> None:  # never runs: start() does not start a thread
        """Deliver nothing; frames are made on demand by ``latest``."""

    def start(self) -> None:
        """Mark the camera up."""
        self._running = True

    def stop(self, timeout: float = 10.0) -> bool:
        """Mark the camera down."""
        self._running = False
        return True

    def latest(self) -> Frame | None:
        """Return the next frame of the list, stamped now, with a new sequence number."""
        if not self._running:
            return None
        with self._lock:
            image = self._frames[self._next]
            self._next = (self._next + 1) % len(self._frames)
            self._count += 1
            seq = self._count
        return Frame(image, time.time(), None, seq)

    def status(self) -> SourceStatus:
        """Return an always-healthy status (decode mode "image": like a still picture, nothing is decoded)."""
        return SourceStatus(up=self._running, last_frame_ts=time.time() if self._running else None,
                            reconnects=0, errors={}, last_error=None, decode_mode="image", frames=self._count)
