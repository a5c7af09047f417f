"""Local video files as cameras: real-time pacing, looping, consumer-paced sampling, broken files."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from monitor.config import CameraConfig
from monitor.sources import FileSource, SourceError, SourceOptions, grab_frame, iter_video, open_source
from tests.support.paths import ONE_BY_ONE


def file_camera(path: Path, every: float, realtime: bool = True, loop: bool = True) -> CameraConfig:
    return CameraConfig(id="file", url=str(path), sample_every=every, realtime=realtime, loop=loop)


def take(src: FileSource, n: int, timeout: float = 20.0, images: list | None = None) -> list[float]:
    """Take n successive frames (each newer than the last), return their video times (and images)."""
    out: list[float] = []
    last = 0
    deadline = time.monotonic() + timeout
    while len(out) < n:
        frame = src.wait_frame(max(0.0, deadline - time.monotonic()), newer_than=last)
        assert frame is not None, f"only {len(out)} frames: {src.status()}"
        assert frame.size == (768, 432)
        assert frame.pts is not None
        out.append(frame.pts)
        if images is not None:
            images.append(frame.image)
        last = frame.seq
    return out


def test_consumer_paced_file_gives_every_sample_then_loops(short_clip: Path) -> None:
    reference = list(iter_video(short_clip, 1.0))
    samples = [t for t, _ in reference]
    assert samples == pytest.approx([float(i) for i in range(len(samples))]) and len(samples) >= 3
    src = open_source(file_camera(short_clip, 1.0, realtime=False))
    assert isinstance(src, FileSource)
    src.start()
    images: list = []
    try:
        times = take(src, 2 * len(samples) + 1, images=images)
        st = src.status()
    finally:
        assert src.stop(5)
    # Not real time: each taken frame advances one sample interval of video; the end loops to the start.
    assert times == pytest.approx(samples * 2 + samples[:1], abs=0.01)
    assert st.reconnects == 0 and st.errors == {} and st.decode_mode == "keyframes"
    # Keyframes decoded alone (and drained at once) are the same pictures a full decode gives.
    for image, (_, want) in zip(images, reference * 2, strict=False):
        assert np.array_equal(image, want)


def test_consumer_paced_file_takes_the_frames_replay_takes(short_clip: Path) -> None:
    # 0.25 s is not a whole number of 10 fps frames: each sample is the first frame at or after a multiple of
    # 0.25 s (0.3, 0.5, 0.8, 1.0...), as `replay` samples, not the last one taken + 0.25 s (0.3, 0.6, 0.9...).
    # The decoder keeps its last pictures back at the end of the file (iter_video drains them): the last sample
    # is left out of the comparison.
    reference = [t for t, _ in iter_video(short_clip, 0.25)][:-1]
    src = open_source(file_camera(short_clip, 0.25, realtime=False, loop=False))
    src.start()
    try:
        times = take(src, len(reference))
        st = src.status()
    finally:
        assert src.stop(5)
    assert times == pytest.approx(reference, abs=1e-3) and reference[:5] == pytest.approx([0.0, 0.3, 0.5, 0.8, 1.0])
    assert st.decode_mode == "all"  # keyframes every 1 s are too rare for 0.25 s samples


def test_realtime_file_plays_at_its_own_speed_and_loops(short_clip: Path) -> None:
    src = open_source(file_camera(short_clip, 0.5), SourceOptions(backoff_initial=0.1))
    src.start()
    try:
        times: list[float] = []
        deadline = time.monotonic() + 30
        last = 0
        while time.monotonic() < deadline:  # until we see the clip start again
            frame = src.wait_frame(5, newer_than=last)
            assert frame is not None, src.status()
            last = frame.seq
            times.append(frame.pts or 0.0)
            if len(times) > 1 and times[-1] < times[-2]:
                break
        st = src.status()
    finally:
        assert src.stop(5)
    assert times[-1] < times[-2], f"no loop seen: {times}"
    assert max(times) > 2.0 and st.up and st.reconnects == 0 and st.errors == {}
    # GOP 1 s, sample every 0.5 s: keyframes are too rare, every frame is decoded.
    assert st.decode_mode == "all"


def test_file_without_loop_finishes_with_eof(short_clip: Path) -> None:
    src = open_source(file_camera(short_clip, 1.0, realtime=False, loop=False))
    samples = [t for t, _ in iter_video(short_clip, 1.0)]
    src.start()
    times = take(src, len(samples))
    src._thread.join(10)  # type: ignore[union-attr]
    st = src.status()
    assert not src.running and not st.up
    assert times == pytest.approx(samples, abs=0.01)
    assert st.errors == {"eof": 1} and st.reconnects == 0
    assert src.latest() is not None  # the last frame stays readable


def test_grab_frame_from_file_and_errors(tmp_path: Path) -> None:
    frame = grab_frame(CameraConfig(id="f", url=str(ONE_BY_ONE)), timeout=10)
    assert frame.size == (768, 432) and frame.pts == pytest.approx(0.0)
    opts = SourceOptions(backoff_initial=0.1)
    with pytest.raises(SourceError) as info:
        grab_frame(CameraConfig(id="f", url=str(tmp_path / "nope.mp4")), timeout=5, options=opts)
    assert info.value.reason == "not_found"
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0\1\2\3" * 4096)
    with pytest.raises(SourceError) as info:
        grab_frame(CameraConfig(id="f", url=str(junk)), timeout=5, options=opts)
    assert info.value.reason == "decode"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


def test_audio_only_file_is_a_codec_error(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", str(wav))
    with pytest.raises(SourceError) as info:
        grab_frame(CameraConfig(id="f", url=str(wav), type="file"), timeout=5, options=SourceOptions(
            backoff_initial=0.1))
    assert info.value.reason == "codec"


def test_frames_beyond_8k_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "wide.mkv"
    _ffmpeg("-f", "lavfi", "-i", "color=c=gray:size=8200x16:rate=5", "-frames:v", "3", "-c:v", "mjpeg",
            str(big))
    with pytest.raises(SourceError) as info:
        grab_frame(CameraConfig(id="f", url=str(big)), timeout=5, options=SourceOptions(backoff_initial=0.1))
    assert info.value.reason == "bad_size" and "8200x16" in info.value.message
    with pytest.raises(SourceError) as info:
        list(iter_video(big, 1.0))
    assert info.value.reason == "bad_size"
