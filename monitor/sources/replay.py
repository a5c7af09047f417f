"""Sample a video file by video time, as fast as it decodes (the `replay` command), or take one picture at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from .avtools import av_error, quiet_ffmpeg
from .base import SourceError
from .decode import size_problem
from .stream import local_path, seconds, to_bgr


def iter_video(path: str | Path, every_s: float) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (t_video_s, BGR frame) for the first frame at or after each multiple of every_s.

    Times are seconds from the first frame. Every frame is decoded (sampling needs exact times, not keyframes)
    but only the yielded ones are converted to BGR, which costs more than decoding.

    >>> [round(t, 1) for t, _ in iter_video(ONE_BY_ONE, 30.0)]  # doctest: +SKIP
    [0.0, 30.0, 60.0, 90.0, 120.0]
    """
    if every_s <= 0:
        raise ValueError(f"every_s must be positive, not {every_s}")
    quiet_ffmpeg()
    name = local_path(str(path))
    t0 = time.monotonic()
    try:
        container = av.open(name)
    except Exception as exc:  # mapped to a reason; str(exc) would repeat the path, harmless here but uniform
        raise av_error(exc, "open", time.monotonic() - t0, float("inf")) from None
    with container:
        if not container.streams.video:
            raise SourceError("codec", f"{name}: no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # one file, nothing else to share the cores with
        start: float | None = None
        target = 0.0
        scaler = VideoReformatter()
        try:
            for frame in container.decode(stream):
                t = seconds(frame.pts, frame.time_base or stream.time_base)
                if t is None:
                    continue
                if start is None:
                    start = t
                t -= start
                # 1e-6: frame times are rationals, the targets floats; 30/10240 s must count as 30 s.
                if t + 1e-6 < target:
                    continue
                if problem := size_problem(frame.width, frame.height):
                    raise SourceError("bad_size", f"{name}: {problem}")
                yield t, to_bgr(frame, scaler)
                # Skip the targets this frame already covers (a gap in the video yields one frame, not many).
                target = (int((t + 1e-6) // every_s) + 1) * every_s
        except SourceError:
            raise
        except Exception as exc:
            raise av_error(exc, "decode", 0.0, float("inf")) from None


@dataclass(frozen=True)
class VideoFrameAt:
    """One picture of a video file at a video time, and the file's length."""

    t: float  # seconds from the first frame
    image: np.ndarray
    duration_s: float | None


def frame_at(path: str | Path, t: float) -> VideoFrameAt:
    """Return the first picture at or after video time t (seconds from the first frame).

    Seeks to the keyframe before t and decodes forward from there, so a picture late in a long file costs a GOP,
    not the whole file. Past the end, the last picture is returned.
    """
    if not t >= 0:
        raise ValueError(f"t must be 0 or more, not {t}")
    quiet_ffmpeg()
    name = local_path(str(path))
    t0 = time.monotonic()
    try:
        container = av.open(name)
    except Exception as exc:
        raise av_error(exc, "open", time.monotonic() - t0, float("inf")) from None
    with container:
        if not container.streams.video:
            raise SourceError("codec", f"{name}: no video stream")
        stream = container.streams.video[0]
        tb = stream.time_base
        first = stream.start_time or 0
        duration = float(container.duration) / av.time_base if container.duration else None
        last = None
        scaler = VideoReformatter()
        try:
            if tb is not None and t > 0:
                container.seek(first + int(t / tb), stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                ft = seconds(frame.pts, frame.time_base or tb)
                if ft is None:
                    continue
                ft -= seconds(first, tb) or 0.0
                last = (ft, frame)
                if ft + 1e-6 >= t:
                    break
        except Exception as exc:
            raise av_error(exc, "decode", 0.0, float("inf")) from None
        if last is None:
            raise SourceError("eof", f"{name}: no picture")
        if problem := size_problem(last[1].width, last[1].height):
            raise SourceError("bad_size", f"{name}: {problem}")
        return VideoFrameAt(max(0.0, last[0]), to_bgr(last[1], scaler), duration)
