"""Camera source base: frames, errors by reason, and the reader thread that reconnects with backoff."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..config import CameraConfig
from ..redact import REDACTOR, redact_url, url_secrets
from .decode import size_problem
from .health import Backoff, SourceOptions, SourceStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded picture: BGR uint8 (H, W, 3), unix time it arrived, video time (s) if known, sequence."""

    image: np.ndarray
    ts: float
    pts: float | None
    seq: int

    @property
    def size(self) -> tuple[int, int]:
        """Return (width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


class SourceError(Exception):
    """A camera failure: a short reason label for metrics and a human message with credentials scrubbed."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = REDACTOR(message)
        super().__init__(f"{reason}: {self.message}")


@dataclass
class _Pending:
    """Newest picture, not yet converted to BGR: conversion costs more than decoding; only taken ones pay."""

    convert: Callable[[], np.ndarray]
    ts: float
    pts: float | None
    seq: int


@dataclass
class _Health:
    up: bool = False
    last_frame_ts: float | None = None
    reconnects: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    last_error: SourceError | None = None
    decode_mode: str | None = None
    frames: int = 0


def _detached(err: SourceError) -> SourceError:
    """Return err without its traceback and chained exceptions, which the source keeps until the next error.

    A traceback holds the failed session's frames and with them its decoder (FFmpeg's threads, its buffers):
    kept as `last_error` it would keep one dead connection's decoder alive per camera.
    """
    err.__traceback__ = None
    err.__context__ = err.__cause__ = None
    return err


class CameraSource(ABC):
    """One camera read on its own daemon thread; `latest()` always returns at once, never blocks on I/O."""

    def __init__(self, camera: CameraConfig, options: SourceOptions | None = None) -> None:
        self.camera = camera
        self.options = options or SourceOptions()
        # The URL's user:password must never reach a log line or an error message.
        REDACTOR.add(url_secrets(camera.url))
        self.display_url = redact_url(camera.url)
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()  # guards everything below and wakes waiters
        self._health = _Health()
        self._pending: _Pending | None = None
        self._frame: Frame | None = None
        self._seq = 0
        self._session_frames = 0
        self._failure: SourceError | None = None  # last error that ended a session
        self._convert_lock = threading.Lock()  # one conversion at a time; the reader is never blocked by it
        self._backoff = Backoff(self.options.backoff_initial, self.options.backoff_max)

    # -- public API --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the reader thread (no-op when it is running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop_event.clear()
        self._thread = threading.Thread(target=self._run, name=f"source-{self.camera.id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the thread to end and wait up to timeout; return True when it has ended.

        A read blocked in the network returns within the read timeout, so stop is bounded by it.
        """
        self._stop_event.set()
        with self._cond:
            self._cond.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            self._health.up = False
        return thread is None or not thread.is_alive()

    @property
    def running(self) -> bool:
        """Return True while the reader thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def latest(self) -> Frame | None:
        """Return the newest frame (converted on first request), or None before the first one.

        After a failure the last good frame is still returned; its `ts` and `status().up` tell how old it is.
        """
        with self._convert_lock:
            with self._cond:
                pending, frame = self._pending, self._frame
            if pending is None:
                return frame
            try:
                image = pending.convert()
            except Exception as exc:  # a conversion failure loses one picture, never the camera
                self._count_error(exc if isinstance(exc, SourceError)
                                  else SourceError("decode", f"cannot convert picture: {type(exc).__name__}"))
                with self._cond:
                    if self._pending is pending:
                        self._pending = None
                return frame
            new = Frame(np.ascontiguousarray(image), pending.ts, pending.pts, pending.seq)
            with self._cond:
                if self._pending is pending:
                    self._pending = None  # frees the decoder's buffer
                if self._frame is None or self._frame.seq < new.seq:
                    self._frame = new
                self._cond.notify_all()
            return new

    def wait_frame(self, timeout: float, newer_than: int = 0) -> Frame | None:
        """Wait up to timeout for a frame with seq > newer_than; return it, or None on timeout or stop."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self._seq > newer_than or self._stop_event.is_set(), timeout)
            if not ok or self._seq <= newer_than:
                return None
        return self.latest()

    def last_failure(self) -> SourceError | None:
        """Return the last error that ended a connection (not a single bad picture), None if none did."""
        with self._cond:
            return self._failure

    def status(self) -> SourceStatus:
        """Return a copy of the source's health."""
        with self._cond:
            h = self._health
            return SourceStatus(up=h.up, last_frame_ts=h.last_frame_ts, reconnects=h.reconnects,
                                errors=dict(h.errors), last_error=h.last_error, decode_mode=h.decode_mode,
                                frames=h.frames)

    # -- for subclasses ----------------------------------------------------------------------------

    @abstractmethod
    def _session(self) -> None:
        """Deliver frames until stopped; raise SourceError on failure; return when finished for good."""

    def _stopping(self) -> bool:
        return self._stop_event.is_set()

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopped; return False when stop was requested."""
        return not self._stop_event.wait(max(0.0, seconds))

    def _offer(self, convert: Callable[[], np.ndarray], width: int, height: int, pts: float | None) -> int:
        """Make a new picture the latest one and return its seq; SourceError('bad_size') for absurd sizes."""
        problem = size_problem(width, height)
        if problem:
            raise SourceError("bad_size", problem)
        now = time.time()
        with self._cond:
            self._seq += 1
            self._pending = _Pending(convert, now, pts, self._seq)
            h = self._health
            if not h.up:
                log.info("camera %s: receiving frames from %s (%dx%d)", self.camera.id, self.display_url,
                         width, height)
            h.up, h.last_frame_ts = True, now
            h.frames += 1
            self._session_frames += 1
            self._cond.notify_all()
            return self._seq

    def _wait_taken(self, seq: int) -> bool:
        """Block until frame seq has been taken by a consumer; return False when stopped first."""
        with self._cond:
            self._cond.wait_for(lambda: self._stop_event.is_set() or (self._frame is not None
                                                                      and self._frame.seq >= seq))
        return not self._stop_event.is_set()

    def _set_decode_mode(self, mode: str | None) -> None:
        with self._cond:
            changed = self._health.decode_mode != mode
            self._health.decode_mode = mode
        if changed and mode is not None:
            log.info("camera %s: decoding %s", self.camera.id, "keyframes only" if mode == "keyframes"
                     else "every frame")

    def _count_error(self, err: SourceError) -> None:
        """Count an error that does not end the session (one corrupt picture)."""
        err = _detached(err)
        with self._cond:
            self._health.errors[err.reason] = self._health.errors.get(err.reason, 0) + 1
            self._health.last_error = err
        log.debug("camera %s: %s", self.camera.id, err)

    # -- the thread --------------------------------------------------------------------------------

    def _fail(self, err: SourceError) -> None:
        err = _detached(err)
        with self._cond:
            h = self._health
            repeated = not h.up and h.last_error is not None and h.last_error.reason == err.reason
            h.errors[err.reason] = h.errors.get(err.reason, 0) + 1
            h.last_error, h.up = err, False
            self._failure = err
            self._cond.notify_all()
        # One line per outage, not one per retry: a camera down all night would flood the log.
        (log.debug if repeated else log.warning)("camera %s (%s): %s", self.camera.id, self.display_url, err)

    def _run(self) -> None:
        first = True
        while not self._stop_event.is_set():
            if not first:
                with self._cond:
                    self._health.reconnects += 1
            first = False
            self._session_frames = 0
            try:
                self._session()
            except SourceError as err:
                if self._stop_event.is_set():
                    break  # the connection broke because we are closing it: not a camera fault
                self._fail(err)
            except Exception as exc:  # a bug or an unexpected library error must not end the camera for good
                self._fail(SourceError("error", f"{type(exc).__name__}: {exc}"))
                log.error("camera %s: unexpected error\n%s", self.camera.id, REDACTOR(traceback.format_exc()))
            else:
                if not self._stop_event.is_set():
                    log.info("camera %s: source finished (%s)", self.camera.id, self.display_url)
                break
            if self._session_frames:
                self._backoff.reset()
            if not self._sleep(self._backoff.next()):
                break
        with self._cond:
            self._health.up = False
            self._cond.notify_all()
