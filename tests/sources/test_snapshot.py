"""HTTP snapshot cameras against a real local HTTP server: good pictures and every kind of bad answer."""

from __future__ import annotations

import logging
import time

import cv2
import numpy as np
import pytest

from monitor.config import CameraConfig
from monitor.sources import SnapshotSource, SourceError, SourceOptions, grab_frame, open_source
from tests.support.http_camera import PASSWORD, USER, HttpCamera


def camera(url: str, every: float = 0.2) -> CameraConfig:
    return CameraConfig(id="snap", url=url, sample_every=every)


def test_good_snapshot_is_the_picture(http_camera: HttpCamera, jpeg: bytes, fast: SourceOptions) -> None:
    frame = grab_frame(camera(http_camera.url("/good.jpg")), timeout=10, options=fast)
    want = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert frame.image.dtype == np.uint8 and frame.image.shape == want.shape
    assert np.array_equal(frame.image, want)
    assert frame.pts is None and frame.seq == 1


def test_snapshot_source_polls_fresh_frames(http_camera: HttpCamera, fast: SourceOptions) -> None:
    src = open_source(camera(http_camera.url("/cgi-bin/snapshot.cgi"), every=0.1), fast)
    assert isinstance(src, SnapshotSource)
    before = http_camera.hits["/cgi-bin/snapshot.cgi"]
    src.start()
    try:
        seqs = []
        last = 0
        for _ in range(3):
            frame = src.wait_frame(10, newer_than=last)
            assert frame is not None
            seqs.append(frame.seq)
            last = frame.seq
        st = src.status()
    finally:
        assert src.stop(5)
    assert seqs == sorted(set(seqs))
    assert st.up and st.errors == {} and st.decode_mode is None and st.frames >= 3
    assert http_camera.hits["/cgi-bin/snapshot.cgi"] - before >= 3  # one request per frame, no caching


@pytest.mark.parametrize(("path", "reason"), [
    ("/error.jpg", "http_500"),
    ("/missing.jpg", "http_404"),
    ("/login.jpg", "not_image"),
    ("/truncated.jpg", "decode"),
    ("/huge.jpg", "too_large"),       # declared 50 MB: refused from the header
    ("/endless.jpg", "too_large"),    # no length: cut off while streaming at the cap
    ("/giant.jpg", "bad_size"),       # header claims 9000x9000: refused before decoding
    ("/stall.jpg", "timeout"),
    ("/basic.jpg", "http_401"),       # no credentials given
])
def test_bad_answers_have_their_reason(http_camera: HttpCamera, fast: SourceOptions, path: str,
                                       reason: str) -> None:
    with pytest.raises(SourceError) as info:
        grab_frame(camera(http_camera.url(path)), timeout=15, options=fast)
    assert info.value.reason == reason


def test_connection_refused(fast: SourceOptions) -> None:
    import socket
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SourceError) as info:
        grab_frame(camera(f"http://127.0.0.1:{port}/snapshot.jpg"), timeout=10, options=fast)
    assert info.value.reason == "connect"


def test_body_cap_is_enforced_while_streaming(http_camera: HttpCamera) -> None:
    opts = SourceOptions(read_timeout=5, max_body_bytes=1_000_000)
    with pytest.raises(SourceError) as info:
        grab_frame(camera(http_camera.url("/endless.jpg")), timeout=15, options=opts)
    assert info.value.reason == "too_large" and "1000000" in info.value.message


@pytest.mark.parametrize("path", ["/basic.jpg", "/digest.jpg"])
def test_credentials_from_url_basic_and_digest(http_camera: HttpCamera, fast: SourceOptions, path: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    frame = grab_frame(camera(http_camera.url(path, credentials=True)), timeout=10, options=fast)
    assert frame.image.ndim == 3 and frame.size[0] > 0
    assert PASSWORD not in caplog.text and USER not in caplog.text


def test_failing_camera_counts_errors_and_retries_with_backoff(http_camera: HttpCamera,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="monitor.sources")
    opts = SourceOptions(read_timeout=2, backoff_initial=0.05, backoff_max=0.1)
    src = open_source(camera(http_camera.url("/error.jpg", credentials=True), every=0.05), opts)
    src.start()
    try:
        deadline = time.monotonic() + 15
        while src.status().errors.get("http_500", 0) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        st = src.status()
    finally:
        assert src.stop(5)
    assert not st.up and st.last_frame_ts is None and src.latest() is None
    assert st.errors["http_500"] >= 3 and st.reconnects >= 2
    assert st.last_error is not None and st.last_error.reason == "http_500"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, "one warning per outage, retries only at debug level"
    assert "http://***@127.0.0.1" in warnings[0].getMessage() and PASSWORD not in caplog.text
