"""Live video streams (RTSP, RTMP, HTTP video) read with PyAV, decoding only what a sample uses."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import av
import numpy as np
from av.codec.context import Flags2
from av.video.reformatter import VideoReformatter

from ..config import CameraConfig
from .avtools import av_error, av_options, local_path, open_video, quiet_ffmpeg, scheme, seconds, to_bgr
from .base import CameraSource, SourceError
from .decode import DecodeMode, DecodePolicy, StallWatch
from .health import SourceOptions
from .keyframes import KeyframeDecoder, KeyframeGroup, decode_alone

KEYFRAME_GRACE_S = 5.0
"""After connecting, packets before the first keyframe are skipped (they cannot decode) for at most this long;
a stream whose keyframes FFmpeg never flags is then decoded anyway."""

MAX_DECODE_ERRORS = 30
"""Pictures in a row that fail to decode before the connection is dropped and opened again."""

MAX_KEYFRAME_FAILURES = 3
"""Taken keyframes in a row that fail to decode (keyframes-only mode) before the connection is opened again."""


@dataclass(frozen=True)
class Picture:
    """A picture for the source to hand over; converting it to BGR is left to whoever takes it."""

    convert: Callable[[], np.ndarray]
    width: int
    height: int
    pts: float | None  # video time of the picture
    due: float | None  # video time its packet is due (a file played in real time waits until then)


class PacketReader:
    """What the reader does with each packet: follow the keyframes, decode what the decode policy asks for.

    Keyframes-only mode (keyframes at least once per sample interval): with defer_keyframes, each keyframe is
    gathered (KeyframeGroup) and handed over undecoded, decoded only if a sample takes it; without, keyframes are
    decoded at once. Otherwise every frame is decoded and the newest picture handed over.
    """

    def __init__(self, stream: av.VideoStream, sample_every: float, min_stall_s: float, scaler: VideoReformatter,
                 *, defer_keyframes: bool, on_mode: Callable[[DecodeMode], None],
                 on_error: Callable[[SourceError], None]) -> None:
        self._ctx = stream.codec_context
        # A float: Fraction arithmetic on every packet of every camera costs real CPU.
        self._tb = float(stream.time_base) if stream.time_base is not None else None
        self._scaler = scaler
        self._defer = defer_keyframes
        self._on_mode, self._on_error = on_mode, on_error
        self.policy = DecodePolicy(sample_every)
        self.stall = StallWatch(min_stall_s, time.monotonic())
        self._group = KeyframeGroup()
        self._keyframes: KeyframeDecoder | None = None
        self._size = (0, 0)  # of the last picture the reader decoded itself
        self._errors = 0  # pictures in a row that did not decode
        self._started = time.monotonic()
        self._offset = 0.0  # added to keyframe times: the keyframe clock goes forward across file loops
        self._last_t = 0.0
        self._apply(self.policy.mode)

    def feed(self, packet: av.Packet[av.VideoStream]) -> list[Picture]:
        """Take one packet; return the pictures it completes (none, or one or two)."""
        t = seconds(packet.pts if packet.pts is not None else packet.dts, self._tb)
        if t is not None:
            self._last_t = max(self._last_t, t)
        out = [self._gathered()] if self._group.ends_before(packet, t) else []
        if packet.is_keyframe:
            self._keyframe(t)
            if self._defer and self.policy.mode == "keyframes" and self._size != (0, 0):
                if self._keyframes is None:
                    self._keyframes = KeyframeDecoder(self._ctx, self._scaler)
                self._group.add(packet, t)
                return out
        elif self.policy.mode == "keyframes" or self._joining():
            return out  # read (the stream stays live), not decoded
        picture = self._decode(packet, t)
        return out + [picture] if picture is not None else out

    def rewound(self) -> None:
        """Note that a file started again from its beginning."""
        self._ctx.flush_buffers()
        self._offset += self._last_t + 1e-3

    def _joining(self) -> bool:
        """Return True before the first keyframe of a session (for a while): packets of a GOP joined midway."""
        return not self.policy.keyed and time.monotonic() - self._started < KEYFRAME_GRACE_S

    def _keyframe(self, t: float | None) -> None:
        if self.policy.keyframe(t + self._offset if t is not None else time.monotonic()):
            if self._keyframes is not None:
                self._keyframes.retire()
                self._keyframes = None
            self._apply(self.policy.mode)
        self.stall.keyframes_every(self.policy.interval)

    def _apply(self, mode: DecodeMode) -> None:
        # Switching happens on a keyframe, so dropping the decoder's held-back picture loses nothing useful.
        self._ctx.flush_buffers()
        self._ctx.skip_frame = "NONKEY" if mode == "keyframes" else "DEFAULT"
        self._on_mode(mode)

    def _gathered(self) -> Picture:
        """Return the gathered keyframe, to be decoded when taken."""
        assert self._keyframes is not None
        if self._keyframes.failures >= MAX_KEYFRAME_FAILURES:
            raise SourceError("decode", f"{self._keyframes.failures} keyframes in a row did not decode")
        packets, t = self._group.take()
        due = seconds(packets[0].dts, self._tb) if packets[0].dts is not None else t
        return Picture(partial(self._keyframes, packets), self._size[0], self._size[1], t, due)

    def _decode(self, packet: av.Packet[av.VideoStream], t: float | None) -> Picture | None:
        """Decode a packet; return its newest picture (older ones would be replaced before anyone looked)."""
        try:
            pictures = decode_alone(self._ctx, (packet,)) if self.policy.mode == "keyframes" else \
                self._ctx.decode(packet)
        except Exception as exc:
            err = av_error(exc, "decode", 0.0, float("inf"))
            if err.reason == "codec":
                raise err from None
            self._errors += 1
            self._on_error(SourceError("decode", err.message))
            if self._errors >= MAX_DECODE_ERRORS:
                raise SourceError("decode", f"{self._errors} pictures in a row did not decode") from None
            return None
        if not pictures:
            return None
        self._errors = 0
        pic = pictures[-1]
        self._size = (pic.width, pic.height)
        pts = seconds(pic.pts, self._tb) if pic.pts is not None else t
        due = seconds(packet.dts, self._tb) if packet.dts is not None else t
        return Picture(partial(to_bgr, pic, self._scaler), pic.width, pic.height, pts, due)


class StreamSource(CameraSource):
    """A live video stream, read on its own thread with PyAV; its end is a failure (the camera reconnects).

    Packets are read all the time so the camera keeps the session alive and no backlog builds up, but only
    what a sample needs is decoded (see PacketReader). Conversion to BGR happens only when a frame is taken.
    """

    def __init__(self, camera: CameraConfig, options: SourceOptions | None = None) -> None:
        super().__init__(camera, options)
        quiet_ffmpeg()
        self._url = local_path(camera.url) if scheme(camera.url) in ("", "file") else camera.url
        self._scaler = VideoReformatter()  # used under the base class's conversion lock: one at a time

    def _session(self) -> None:
        self._set_decode_mode("all")
        with open_video(self._url, av_options(self._url, self.options.read_timeout),
                        (self.options.open_timeout, self.options.read_timeout)) as (container, stream):
            self._read(container, stream)

    def _read(self, container: av.container.InputContainer, stream: av.VideoStream) -> None:
        # RTP depacketisers (FFmpeg's RTSP) hand over one slice per packet; without this flag the decoder
        # takes each packet for a whole picture and a multi-slice camera's frames come out in bands of grey.
        stream.codec_context.flags2 |= Flags2.chunks
        reader = self._reader(stream, defer_keyframes=True)
        for packet in self._demux(container, stream, reader.stall):
            for picture in reader.feed(packet):
                self._offer(picture.convert, picture.width, picture.height, picture.pts)
                reader.stall.picture(time.monotonic())
        if not self._stopping():
            raise SourceError("eof", "stream ended")

    def _reader(self, stream: av.VideoStream, *, defer_keyframes: bool) -> PacketReader:
        return PacketReader(stream, self.camera.sample_every, self.options.no_frame_timeout, self._scaler,
                            defer_keyframes=defer_keyframes, on_mode=self._set_decode_mode,
                            on_error=self._count_error)

    def _demux(self, container: av.container.InputContainer, stream: av.VideoStream,
               stall: StallWatch) -> Iterator[av.Packet[av.VideoStream]]:
        """Yield the stream's packets until it ends or the source stops; a read error or a stall is a SourceError."""
        packets = container.demux(stream)
        while not self._stopping():
            now = time.monotonic()
            if problem := stall.problem(now):
                raise SourceError("decode", problem)
            try:
                packet = next(packets, None)
            except Exception as exc:
                raise av_error(exc, "read", time.monotonic() - now, self.options.read_timeout) from None
            if packet is None:
                return
            if packet.size:  # size 0: the demuxer's end-of-input marker; the next read says it is the end
                yield packet
