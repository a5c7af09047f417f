"""RTSP cameras against a real RTSP server (GStreamer): reading, decode modes, outages, stalls, secrets."""

from __future__ import annotations

import gc
import logging
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import av
import numpy as np
import pytest

from benchmarks.rtsp_server import RtspServer
from monitor.config import CameraConfig
from monitor.sources import CameraSource, SourceError, SourceOptions, SourceStatus, grab_frame, open_source
from monitor.sources.avtools import to_bgr
from tests.support.paths import ONE_BY_ONE

USER, PASSWORD = "viewer", "Pa55:w@rd#rtsp"
CREDS = f"{USER}:{quote(PASSWORD, safe='')}"  # as it must be written in a URL


@pytest.fixture(scope="module")
def rtsp() -> Iterator[RtspServer]:
    """One server, two mounts of the shared video, basic auth."""
    with RtspServer(ONE_BY_ONE, name="counter1", user=USER, password=PASSWORD,
                    mounts={"counter2": ONE_BY_ONE}) as srv:
        yield srv


def cam(url: str, every: float = 2.0, cid: str = "rtsp1") -> CameraConfig:
    return CameraConfig(id=cid, url=url, sample_every=every)


def wait_until(src: CameraSource, cond: Callable[[SourceStatus], bool], timeout: float) -> SourceStatus:
    """Poll the status until cond holds; fail (not hang) after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        st = src.status()
        if cond(st):
            return st
        if time.monotonic() > deadline:
            pytest.fail(f"condition not reached in {timeout} s: {st}")
        time.sleep(0.05)


def distinct_frames(src: CameraSource, n: int, timeout: float = 20.0, after: int = 0) -> list:
    frames, last = [], after
    deadline = time.monotonic() + timeout
    while len(frames) < n:
        f = src.wait_frame(max(0.0, deadline - time.monotonic()), newer_than=last)
        assert f is not None, f"{len(frames)} frames only: {src.status()}"
        frames.append(f)
        last = f.seq
    return frames


def test_reads_frames_of_the_right_size_and_decodes_keyframes_only(rtsp: RtspServer,
                                                                    fast: SourceOptions) -> None:
    src = open_source(cam(rtsp.url, every=2.0), fast)
    src.start()
    try:
        first = distinct_frames(src, 1)[0]
        wait_until(src, lambda st: st.decode_mode == "keyframes", 10)
        # The newest frame may still be the last one decoded before the switch: keyframes only after it.
        frames = distinct_frames(src, 3, after=src.latest().seq)
        st = src.status()
    finally:
        assert src.stop(5)
    assert first.size == (768, 432) and first.image.shape == (432, 768, 3)
    assert st.up and not src.status().up  # down once stopped
    assert st.errors == {} and st.reconnects == 0 and st.frames >= 4
    # Keyframes come every 1.0 s of video: successive keyframe pictures are whole seconds apart.
    gaps = [b.pts - a.pts for a, b in zip(frames, frames[1:], strict=False)]
    assert all(g > 0.5 and abs(g - round(g)) < 0.05 for g in gaps), gaps


def test_short_sample_interval_decodes_every_frame(rtsp: RtspServer, fast: SourceOptions) -> None:
    src = open_source(cam(rtsp.url_for("counter2"), every=0.5, cid="rtsp2"), fast)
    src.start()
    try:
        frames = distinct_frames(src, 5)
        st = wait_until(src, lambda st: st.frames >= 25, 15)
    finally:
        assert src.stop(5)
    assert st.decode_mode == "all" and st.errors == {}
    assert all(f.size == (768, 432) for f in frames)


def test_server_loops_the_file_as_one_endless_stream(short_clip: Path, fast: SourceOptions) -> None:
    with RtspServer(short_clip, name="loop") as srv:
        src = open_source(cam(srv.url, every=0.5), fast)
        src.start()
        try:
            pts: list[float] = []
            last = 0
            deadline = time.monotonic() + 60  # generous: a loaded CI machine is slow, the check is on pts
            while (not pts or pts[-1] < 7.5) and time.monotonic() < deadline:  # the clip is ~3 s long
                f = src.wait_frame(15, newer_than=last)
                assert f is not None, src.status()
                last = f.seq
                if f.pts is not None:
                    pts.append(f.pts)
            st = src.status()
        finally:
            assert src.stop(5)
    # Past two ends of the file with no reconnect and time always going forward, as from a live camera.
    assert pts[-1] >= 7.5 and st.reconnects == 0 and st.errors == {}
    # The first pictures of a session may come from the server's preroll (seen on a loaded machine: 0.4 then 0.1);
    # what matters is that the file's ends (~3 s, ~6 s) do not send time back.
    steady = [t for t in pts if t >= 1.0]
    assert all(b > a for a, b in zip(steady, steady[1:], strict=False)), pts


def test_killed_server_goes_down_then_recovers(fast: SourceOptions) -> None:
    with RtspServer(ONE_BY_ONE, name="cam") as srv:
        src = open_source(cam(srv.url), fast)
        src.start()
        try:
            frame = distinct_frames(src, 1)[0]
            srv.kill()  # power cut: the connection drops
            down = wait_until(src, lambda st: not st.up, 10)
            assert down.last_error is not None and down.last_error.reason in ("eof", "connect", "io")
            # While it is away, retries fail with "connection refused" and are counted.
            refused = wait_until(src, lambda st: st.errors.get("connect", 0) >= 1, 10)
            srv.start()  # same port
            up = wait_until(src, lambda st: st.up and st.frames > down.frames, 20)
            after = src.wait_frame(10, newer_than=frame.seq)
        finally:
            assert src.stop(5)
    assert up.reconnects > down.reconnects and up.reconnects >= refused.reconnects >= 1
    assert sum(up.errors.values()) >= 2
    assert after is not None and after.size == (768, 432)


@pytest.fixture(scope="module")
def multi_slice_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[float, np.ndarray]]:
    """6 s of the shared clip at 720p, 4 slices per picture, a keyframe every second; and its pictures by time."""
    out = tmp_path_factory.mktemp("slices") / "slices.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(ONE_BY_ONE), "-t", "6", "-vf", "scale=1280:720,fps=10",
                    "-c:v", "libx264", "-g", "10", "-bf", "0", "-x264-params", "slices=4", "-an", str(out)],
                   check=True, timeout=120)
    with av.open(str(out)) as container:
        pictures = {round(float(f.pts * f.time_base), 1): to_bgr(f) for f in container.decode(video=0)}
    return out, pictures


@pytest.mark.parametrize(("every", "mode"), [(0.5, "all"), (2.0, "keyframes")])
def test_multi_slice_pictures_come_out_whole(multi_slice_clip: tuple[Path, dict[float, np.ndarray]],
                                             fast: SourceOptions, every: float, mode: str) -> None:
    # Over RTSP FFmpeg hands over one packet per slice: decoded as whole pictures they came out in grey bands.
    clip, want = multi_slice_clip
    with RtspServer(clip, name="slices") as srv:
        src = open_source(cam(srv.url, every=every, cid="slices"), fast)
        src.start()
        try:
            distinct_frames(src, 1)
            wait_until(src, lambda st: st.decode_mode == mode, 20)
            frames = distinct_frames(src, 3, after=src.latest().seq)
        finally:
            assert src.stop(5)
    for f in frames:
        assert f.pts is not None
        ref = want[round(f.pts % 6.0, 1)]  # the server loops the 6 s file with time going on
        assert np.abs(f.image.astype(np.int16) - ref).mean() < 2.0, f.pts


def live_decoders() -> int:
    """PyAV decoders alive in this process (each holds FFmpeg's decoder threads and buffers while it lives)."""
    gc.collect()
    return sum(type(o).__name__ == "VideoCodecContext" for o in gc.get_objects())


def test_reconnects_leave_no_decoder_behind(short_clip: Path, fast: SourceOptions) -> None:
    # The server comes back at once, so the error that ended each session ("stream ended") stays the camera's
    # last error until the next one: it must not keep that dead session's decoder (and its threads) alive.
    # Counted as objects, not threads: FFmpeg's scaler starts and ends threads of its own now and then.
    with RtspServer(short_clip, name="cam") as srv:
        src = open_source(cam(srv.url, every=0.5), fast)
        src.start()
        try:
            last = distinct_frames(src, 2)[-1].seq
            before = live_decoders()
            for _ in range(3):
                reconnects = src.status().reconnects
                srv.kill()
                srv.start()
                wait_until(src, lambda st, r=reconnects: st.up and st.reconnects > r, 30)  # type: ignore[misc]
                frame = src.wait_frame(20, newer_than=last)
                assert frame is not None, src.status()
                last = frame.seq
            after = live_decoders()
            st = src.status()
        finally:
            assert src.stop(10)
    assert after == before, (before, after)
    assert st.last_error is not None and st.last_error.__traceback__ is None


def test_frozen_server_is_a_timeout_and_recovers(fast: SourceOptions) -> None:
    with RtspServer(ONE_BY_ONE, name="cam") as srv:
        src = open_source(cam(srv.url, every=0.5), fast)
        src.start()
        try:
            distinct_frames(src, 2)
            srv.pause()  # process frozen: TCP stays open, nothing arrives
            t0 = time.monotonic()
            st = wait_until(src, lambda st: not st.up, 20)
            detected = time.monotonic() - t0
            srv.resume()
            recovered = wait_until(src, lambda s: s.up, 30)
        finally:
            assert src.stop(10)
    assert st.last_error is not None and st.last_error.reason == "timeout"
    assert recovered.reconnects >= 1
    print(f"\nfrozen RTSP server detected after {detected:.1f} s (read timeout {fast.read_timeout} s)")


@pytest.fixture()
def silent_tcp() -> Iterator[int]:
    """A TCP server that accepts connections and never sends a byte (a hung camera firmware)."""
    server = socket.create_server(("127.0.0.1", 0))
    conns: list[socket.socket] = []
    closing = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not closing.is_set():
            try:
                conns.append(server.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield server.getsockname()[1]
    closing.set()
    t.join(2)
    for c in conns:
        c.close()
    server.close()


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_stalled_tcp_server_times_out_without_hanging(silent_tcp: int, fast: SourceOptions,
                                                       scheme: str) -> None:
    url = f"{scheme}://{CREDS}@127.0.0.1:{silent_tcp}/stream"
    with pytest.raises(SourceError) as info:
        grab_frame(cam(url), timeout=30, options=fast)
    assert info.value.reason == "timeout" and PASSWORD not in str(info.value)
    src = open_source(cam(url), fast)
    src.start()
    st = wait_until(src, lambda st: st.errors.get("timeout", 0) >= 1, 20)
    t0 = time.monotonic()
    assert src.stop(fast.open_timeout + 5), "stop must not hang on a stalled connection"
    print(f"\nstop() with a stalled {scheme} connection took {time.monotonic() - t0:.1f} s")
    assert not st.up and src.latest() is None


def test_credentials_never_reach_logs_errors_or_stderr(rtsp: RtspServer, fast: SourceOptions,
                                                      caplog: pytest.LogCaptureFixture,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    good = open_source(cam(rtsp.url, cid="good"), fast)
    wrong_url = rtsp.url_for("counter1", credentials=False).replace("rtsp://", f"rtsp://{CREDS}x@")
    wrong = open_source(cam(wrong_url, cid="wrong"), fast)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    dead = open_source(cam(f"rtsp://{CREDS}@127.0.0.1:{dead_port}/x", cid="dead"), fast)
    # Typed without percent-encoding: the '@' and '#' in the password make the URL ambiguous, yet no piece
    # of the password may show.
    raw = open_source(cam(f"rtsp://{USER}:{PASSWORD}@127.0.0.1:{dead_port}/x", cid="raw"), fast)
    sources = (good, wrong, dead, raw)
    for src in sources:
        src.start()
    try:
        assert good.wait_frame(15) is not None
        wait_until(wrong, lambda st: st.errors.get("auth", 0) >= 1, 15)
        wait_until(dead, lambda st: st.errors.get("connect", 0) >= 1, 15)
        wait_until(raw, lambda st: sum(st.errors.values()) >= 1, 15)
        statuses = [repr(src.status()) for src in sources]
    finally:
        for src in sources:
            assert src.stop(5)
    with pytest.raises(SourceError) as info:
        grab_frame(cam(wrong_url, cid="wrong2"), timeout=15, options=fast)
    assert info.value.reason == "auth"
    out, err = capfd.readouterr()
    text = "\n".join([caplog.text, out, err, *statuses, str(info.value), repr(info.value)])
    assert "rtsp://***@127.0.0.1" in caplog.text, "the sources did log their URL (redacted)"
    for secret in (PASSWORD, "Pa55", "w@rd", "rd#rtsp", quote(PASSWORD, safe=""), f"{USER}:"):
        assert secret not in text, secret
