"""Keyframes-only mode decodes a keyframe only when a sample takes it, on the reader's idle decoder."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest
from av.video.reformatter import VideoReformatter

from monitor.config import CameraConfig
from monitor.sources import SourceError, SourceOptions, open_source
from monitor.sources.avtools import to_bgr
from monitor.sources.keyframes import KeyframeDecoder


def keyframe_packets(path: Path, n: int) -> tuple[av.container.InputContainer, av.VideoStream, list[av.Packet]]:
    container = av.open(str(path))
    stream = container.streams.video[0]
    packets = []
    for packet in container.demux(stream):
        if packet.is_keyframe and packet.size:
            packets.append(packet)
            if len(packets) == n:
                break
    return container, stream, packets


def reference(path: Path, n: int) -> list[np.ndarray]:
    """The first n keyframes' pictures, decoded the plain way (every frame, in order)."""
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.key_frame:
                out.append(to_bgr(frame))
                if len(out) == n:
                    break
    return out


def test_keyframes_decode_alone_shared_then_on_their_own_decoder(short_clip: Path) -> None:
    container, stream, packets = keyframe_packets(short_clip, 3)
    want = reference(short_clip, 3)
    with container:
        ctx = stream.codec_context
        ctx.skip_frame = "NONKEY"  # as the reader sets it in this mode
        dec = KeyframeDecoder(ctx, VideoReformatter())
        # Out of order on purpose: each keyframe stands alone.
        got = {i: dec((packets[i],)) for i in (2, 0)}
        dec.retire()  # the reader takes its decoder back: a waiting keyframe still decodes, on another one
        got[1] = dec((packets[1],))
    for i, image in got.items():
        assert image.shape == (432, 768, 3) and image.dtype == np.uint8
        assert np.abs(image.astype(int) - want[i]).mean() < 1.0, i
    assert dec.failures == 0


def test_a_keyframe_that_does_not_decode_is_a_counted_decode_error(short_clip: Path) -> None:
    container, stream, packets = keyframe_packets(short_clip, 1)
    with container:
        dec = KeyframeDecoder(stream.codec_context, VideoReformatter())
        garbage = av.Packet(b"\x00\x00\x00\x01" + bytes(range(256)) * 40)
        for n in (1, 2):
            with pytest.raises(SourceError) as err:
                dec((garbage,))
            assert err.value.reason == "decode" and dec.failures == n
        assert dec((packets[0],)).shape == (432, 768, 3)
        assert dec.failures == 0  # only failures in a row make the reader reconnect


def test_untaken_keyframes_are_never_decoded(short_clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = KeyframeDecoder.__call__

    def counted(self: KeyframeDecoder, packets: tuple[av.Packet, ...]) -> np.ndarray:
        calls.append(packets[0].pts)
        return real(self, packets)

    monkeypatch.setattr(KeyframeDecoder, "__call__", counted)
    # A keyframe every second, sampled every 3 s: two keyframes in three are read and skipped.
    camera = CameraConfig(id="file", url=str(short_clip), sample_every=3.0, realtime=True, loop=True)
    src = open_source(camera, SourceOptions())
    src.start()
    try:
        deadline = time.monotonic() + 30
        while src.status().decode_mode != "keyframes":
            assert time.monotonic() < deadline, src.status()
            time.sleep(0.05)
        offered0 = src.status().frames
        frame = src.latest()
        taken = 0
        while taken < 2:
            nxt = src.wait_frame(10, newer_than=frame.seq if frame else 0)
            assert nxt is not None, src.status()
            frame, taken = nxt, taken + 1
            time.sleep(2.5)  # the sampler's pace: other keyframes arrive meanwhile
        offered = src.status().frames - offered0
        st = src.status()
    finally:
        assert src.stop(5)
    assert st.errors == {} and frame is not None and frame.size == (768, 432)
    assert offered >= 4, offered  # keyframes handed over while we waited
    assert 2 <= len(calls) <= 3, (calls, offered)  # decoded: only those taken
