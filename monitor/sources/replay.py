"""Sample a video file by video time, as fast as it decodes (the `replay` command), or take one picture at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from .avtools import av_error, local_path, open_video, quiet_ffmpeg, seconds, to_bgr
from .base import SourceError
from .decode import TIME_EPS, VideoTimeSampler, size_problem


def iter_video(path: str | Path, every_s: float) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (t_video_s, BGR frame) for the first frame at or after each multiple of every_s (VideoTimeSampler).

    Times are seconds from the first frame. Every frame is decoded (sampling needs exact times, not keyframes)
    but only the yielded ones are converted to BGR, which costs more than decoding.

    >>> [round(t, 1) for t, _ in iter_video(ONE_BY_ONE, 30.0)]  # doctest: +SKIP
    [0.0, 30.0, 60.0, 90.0, 120.0]
    """
    sampler = VideoTimeSampler(every_s)  # raises ValueError for every_s <= 0, before the file is opened
    quiet_ffmpeg()
    name = local_path(str(path))
    with open_video(name, label=f"{name}: ") as (container, stream):
        stream.thread_type = "AUTO"  # one file, nothing else to share the cores with
        scaler = VideoReformatter()
        try:
            for frame in container.decode(stream):
                t = seconds(frame.pts, frame.time_base or stream.time_base)
                if t is None or not sampler.take(t):
                    continue
                if problem := size_problem(frame.width, frame.height):
                    raise SourceError("bad_size", f"{name}: {problem}")
                yield t - (sampler.origin or 0.0), to_bgr(frame, scaler)
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
    with open_video(name, label=f"{name}: ") as (container, stream):
        tb = stream.time_base
        first = stream.start_time or 0
        duration = float(container.duration) / av.time_base if container.duration else None
        last = None
        try:
            if tb is not None and t > 0:
                container.seek(first + int(t / tb), stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                ft = seconds(frame.pts, frame.time_base or tb)
                if ft is None:
                    continue
                ft -= seconds(first, tb) or 0.0
                last = (ft, frame)
                if ft + TIME_EPS >= t:
                    break
        except Exception as exc:
            raise av_error(exc, "decode", 0.0, float("inf")) from None
        if last is None:
            raise SourceError("eof", f"{name}: no picture")
        if problem := size_problem(last[1].width, last[1].height):
            raise SourceError("bad_size", f"{name}: {problem}")
        return VideoFrameAt(max(0.0, last[0]), to_bgr(last[1], VideoReformatter()), duration)
