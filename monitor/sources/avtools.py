"""PyAV glue: opening a video, FFmpeg options per URL scheme, silenced logging, errors mapped to reasons, BGR."""

from __future__ import annotations

import errno
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import av
import av.error
import av.logging
import numpy as np
from av.video.reformatter import VideoReformatter

from .base import SourceError

_CONNECT_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
                   errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN, errno.EADDRNOTAVAIL, errno.EPIPE}


def quiet_ffmpeg() -> None:
    """Silence FFmpeg's own log: it prints the URL it opens, user:password included, to stderr."""
    av.logging.set_level(None)


def scheme(url: str) -> str:
    """Return the URL's scheme in lower case ('' for a plain path)."""
    try:
        s = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    # A one-letter "scheme" is a Windows drive (C:\...), i.e. a path.
    return s if len(s) > 1 else ""


def local_path(url: str) -> str:
    """Return the filesystem path of a plain path or file:// URL."""
    if url.lower().startswith("file://"):
        return unquote(urlsplit(url).path)
    return str(Path(url).expanduser())


def seconds(value: int | None, time_base: object) -> float | None:
    """Return value x time_base in seconds, None when either is unknown."""
    if value is None or time_base is None:
        return None
    if isinstance(time_base, float):
        # The live reader passes a float: Fraction arithmetic on every packet of every camera costs real CPU.
        return value * time_base
    return float(value * time_base)  # type: ignore[operator]  # exact, for sampling files by video time


def to_bgr(frame: av.VideoFrame, scaler: VideoReformatter | None = None) -> np.ndarray:
    """Convert a decoded picture to a BGR uint8 array (done only for taken frames).

    Pass one scaler per camera and reuse it: `VideoFrame.to_ndarray` makes a new FFmpeg scaler per picture,
    which starts its own threads each time and keeps them as long as the picture lives. One thread is enough:
    cameras already convert in parallel, and a 720p picture takes well under a millisecond.
    """
    if scaler is None:
        scaler = VideoReformatter()
    return scaler.reformat(frame, format="bgr24", threads=1).to_ndarray()


@contextmanager
def open_video(url: str, options: dict[str, str] | None = None, timeout: tuple[float, float] | None = None,
               label: str = "") -> Iterator[tuple[av.container.InputContainer, av.VideoStream]]:
    """Open url and yield it with its first video stream; close it afterwards, whatever happened.

    Failures are SourceErrors: the open's own reason (timeout = the shorter of open and read timeouts, which
    also bounds the stream probing inside open), or 'codec' when there is no video. label prefixes messages.
    """
    t0 = time.monotonic()
    try:
        container = av.open(url, options=options, timeout=timeout)
    except Exception as exc:  # PyAV raises a dozen exception types; all are mapped to reasons
        raise av_error(exc, "open", time.monotonic() - t0, min(timeout) if timeout else float("inf")) from None
    try:
        if not container.streams.video:
            raise SourceError("codec", f"{label}no video stream")
        yield container, container.streams.video[0]
    finally:
        try:
            container.close()
        except Exception:  # closing a broken connection may fail too; nothing is left to do with it
            pass


def av_options(url: str, read_timeout: float) -> dict[str, str]:
    """Return FFmpeg options for opening url: RTSP over TCP, video only, socket timeouts as a second guard.

    PyAV's own timeout (an interrupt callback) is the main stall detector; the socket timeouts make FFmpeg
    give up inside protocol loops that do not poll the callback often.
    """
    s = scheme(url)
    us = str(int(read_timeout * 1_000_000))
    # FFmpeg probes a live H.264 stream for ~3 s by default (to guess frame rate and B-frame delay), longer
    # than the read timeout allows on a slow camera; 1 s is enough, the decoder adapts to the rest.
    probe = {"analyzeduration": "1000000"}
    if s in ("rtsp", "rtsps"):
        # TCP: UDP drops packets on busy office networks and is often firewalled. Video only: no audio.
        return {"rtsp_transport": "tcp", "allowed_media_types": "video", "timeout": us, **probe}
    if s in ("http", "https", "rtmp", "rtmps", "tcp", "udp", "srt"):
        return {"rw_timeout": us, **probe}
    return {}


def av_error(exc: BaseException, stage: str, elapsed: float, limit: float) -> SourceError:
    """Map a PyAV exception to a SourceError without str(exc): that ends with the URL, credentials included.

    Our own timeout interrupts FFmpeg, which then reports "exit" or, inside RTSP, "invalid data"; so an error
    that is not clearly something else and took about the whole time limit is a timeout.
    """
    if isinstance(exc, SourceError):
        return exc
    text = getattr(exc, "strerror", None) or type(exc).__name__
    code = getattr(exc, "errno", None)
    if isinstance(exc, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        return SourceError("auth", f"{stage}: access denied ({text})")
    if isinstance(exc, av.error.HTTPNotFoundError | FileNotFoundError | IsADirectoryError):
        return SourceError("not_found", f"{stage}: {text}")
    if isinstance(exc, av.error.HTTPError):
        return SourceError("io", f"{stage}: {text}")
    if isinstance(exc, av.error.DecoderNotFoundError | av.error.DemuxerNotFoundError
                  | av.error.ProtocolNotFoundError | av.error.PatchWelcomeError | NotImplementedError):
        return SourceError("codec", f"{stage}: unsupported ({text})")
    if isinstance(exc, ConnectionError) or code in _CONNECT_ERRNOS:
        return SourceError("connect", f"{stage}: {text}")
    timed_out = isinstance(exc, TimeoutError | av.error.ExitError) or code == errno.ETIMEDOUT
    if timed_out or elapsed >= 0.9 * limit:
        return SourceError("timeout", f"{stage}: no data for {elapsed:.1f} s")
    if isinstance(exc, EOFError):
        return SourceError("eof", f"{stage}: stream ended")
    if isinstance(exc, av.error.InvalidDataError):
        return SourceError("decode", f"{stage}: {text}")
    if isinstance(exc, OSError):
        return SourceError("io", f"{stage}: {text}")
    return SourceError("error", f"{stage}: {type(exc).__name__}")
