"""Benchmark media: a clip re-encoded once to camera-like H.264 (1280x720, fixed 2 s GOP), cached on disk."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.video.frame
import numpy as np


@dataclass(frozen=True)
class ClipSpec:
    """How the benchmark clip is encoded: like a typical 720p IP camera (no B-frames, fixed GOP)."""

    width: int = 1280
    height: int = 720
    fps: int = 25
    gop_s: float = 2.0
    crf: int = 18  # ~0.85 Mbit/s on this clip, near a 720p camera; keyframe size drives the decode cost
    max_seconds: float = 60.0  # the RTSP server loops it; a minute keeps the one-off encode short
    version: int = 2  # bump when the encoding changes, so cached clips are made again

    @property
    def tag(self) -> str:
        """Return a short label used in the cache file name."""
        return (f"{self.width}x{self.height}_{self.fps}fps_gop{self.gop_s:g}s_crf{self.crf}_{self.max_seconds:g}s"
                f"_v{self.version}")


def _source_key(source: Path) -> str:
    """Identify the source by name, size and a hash of its first MiB (cheap, and a changed file re-encodes)."""
    st = source.stat()
    with open(source, "rb") as f:
        head = f.read(1 << 20)
    return hashlib.sha256(f"{source.name}:{st.st_size}:".encode() + head).hexdigest()[:12]


def _frames_at_rate(container: av.container.InputContainer, fps: int, limit_s: float) -> Iterator[av.VideoFrame]:
    """Yield the source's pictures resampled to ``fps`` (repeating or skipping), up to ``limit_s`` seconds."""
    stream = container.streams.video[0]
    step = 1.0 / float(stream.average_rate or fps)
    n, pending, t = 0, None, 0.0
    for frame in container.decode(stream):
        t = float(frame.pts * stream.time_base) if frame.pts is not None and stream.time_base else t + step
        # Every output instant before this picture's time shows the previous picture (sample-and-hold).
        while pending is not None and n / fps < min(t, limit_s):
            yield pending
            n += 1
        if n / fps >= limit_s:
            return
        pending = frame
    while pending is not None and n / fps < min(t + step, limit_s):  # the last picture lasts one source frame
        yield pending
        n += 1


def encode_clip(source: Path, target: Path, spec: ClipSpec) -> Path:
    """Re-encode ``source`` to ``target`` with ``spec`` (H.264 main profile via libx264, no audio)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    gop = max(1, round(spec.gop_s * spec.fps))
    try:
        with av.open(str(source)) as src, av.open(str(tmp), mode="w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=spec.fps, options={
                # Fixed GOP, no scene-cut keyframes, no B-frames: what a CCTV camera set to "I-frame interval
                # 2 s" sends, and what decides the keyframes-only decode mode of the service.
                "preset": "veryfast", "crf": str(spec.crf), "profile": "main",
                "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0"})
            stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
            stream.codec_context.time_base = Fraction(1, spec.fps)
            stream.codec_context.gop_size = gop
            # One slice per picture, like most cameras: PyAV's default slice threading would cut every picture
            # into one slice per core, and an RTSP server repeating SPS/PPS before each slice splits a keyframe
            # into several packets.
            stream.codec_context.thread_type = "FRAME"
            for i, frame in enumerate(_frames_at_rate(src, spec.fps, spec.max_seconds)):
                picture = frame.reformat(width=spec.width, height=spec.height, format="yuv420p")
                # The source's own I-frames would force keyframes (x264 honours a picture's type): clear it.
                picture.pict_type = av.video.frame.PictureType.NONE
                picture.pts, picture.time_base = i, Fraction(1, spec.fps)
                for packet in stream.encode(picture):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        tmp.replace(target)  # atomic: a crash mid-encode never leaves a truncated clip in the cache
    finally:
        tmp.unlink(missing_ok=True)
    return target


def prepare_clip(source: Path, cache_dir: Path, spec: ClipSpec | None = None) -> Path:
    """Return the cached camera-like copy of ``source``, encoding it on first use."""
    spec = spec or ClipSpec()
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{source.stem}_{spec.tag}_{_source_key(source)}.mp4"
    if target.is_file() and target.stat().st_size > 0:
        return target
    return encode_clip(source, target, spec)


def keyframe_times(path: Path, limit: int = 10) -> list[float]:
    """Return the times (s) of the first ``limit`` keyframes of a video file (to check its GOP)."""
    out: list[float] = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        for packet in c.demux(stream):
            if packet.is_keyframe and packet.pts is not None and stream.time_base:
                out.append(float(packet.pts * stream.time_base))
                if len(out) >= limit:
                    break
    return out


def sample_frames(path: Path, count: int, every_s: float = 2.0) -> list[np.ndarray]:
    """Decode ``count`` BGR frames spaced ``every_s`` apart from the start of a video (for model timing)."""
    frames: list[np.ndarray] = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        next_t = 0.0
        for frame in c.decode(stream):
            t = float(frame.pts * stream.time_base) if frame.pts is not None and stream.time_base else next_t
            if t + 1e-6 >= next_t:
                frames.append(frame.to_ndarray(format="bgr24"))
                next_t = t + every_s
                if len(frames) >= count:
                    break
    return frames
