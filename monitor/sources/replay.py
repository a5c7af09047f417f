"""Sample a video file by video time, as fast as it decodes (the `replay` command)."""

from __future__ import annotations

import time
from collections.abc import Iterator
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
