"""Keyframes-only reading: a keyframe's packets gathered whole, and decoded only when a sample takes them."""

from __future__ import annotations

import threading

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from .avtools import av_error, to_bgr
from .base import SourceError
from .decode import size_problem


def decode_alone(ctx: av.VideoCodecContext, packets: tuple[av.Packet[av.VideoStream], ...]) -> list[av.VideoFrame]:
    """Decode one keyframe's packets on their own and return its picture(s) at once.

    Decoders hold a picture back for B-frame reordering; fed keyframes alone that delay would be a whole GOP.
    Draining (after all the slices: after each, the picture would come out partial) gets this keyframe's picture
    out now; flush_buffers re-arms the decoder for the next one.
    """
    pictures: list[av.VideoFrame] = []
    for packet in packets:
        pictures += ctx.decode(packet)
    pictures += ctx.decode(None)
    ctx.flush_buffers()
    return pictures


class KeyframeGroup:
    """The packets of the keyframe being read: parameter sets, then one per slice, all at the keyframe's time.

    It is handed over whole once a packet of the next picture arrives.
    """

    def __init__(self) -> None:
        self._packets: list[av.Packet[av.VideoStream]] = []
        self.t: float | None = None  # the keyframe's video time

    def ends_before(self, packet: av.Packet[av.VideoStream], t: float | None) -> bool:
        """Return True when a keyframe is gathered and packet (video time t) belongs to another picture."""
        return bool(self._packets) and not (packet.is_keyframe and (t is None or self.t is None or t == self.t))

    def add(self, packet: av.Packet[av.VideoStream], t: float | None) -> None:
        """Add a packet of the keyframe (the first one sets its time)."""
        if not self._packets:
            self.t = t
        self._packets.append(packet)

    def take(self) -> tuple[tuple[av.Packet[av.VideoStream], ...], float | None]:
        """Return the keyframe's packets and time, and start gathering the next one."""
        out = (tuple(self._packets), self.t)
        self._packets, self.t = [], None
        return out


class KeyframeDecoder:
    """Decodes a keyframe (its packets: parameter sets, slices) when a sample takes it (keyframes-only mode).

    Keyframes that no sample takes are never decoded: a camera with a keyframe every second sampled every
    10 s decodes one keyframe in ten. It borrows the reader's decoder, idle in this mode (one decoder per
    camera, not two: each holds megabytes of picture buffers); when the reader goes back to decoding every
    frame it retires this object, and a keyframe still waiting to be taken is decoded on a decoder of its own.
    The reader thread only reads `failures`, which makes it reconnect when taken keyframes keep failing.
    """

    def __init__(self, reader_ctx: av.VideoCodecContext, scaler: VideoReformatter) -> None:
        self._ctx = reader_ctx
        self._shared = True
        self._lock = threading.Lock()
        self._scaler = scaler  # used under the source's conversion lock, like every call of this object
        self.failures = 0  # taken keyframes in a row that did not decode

    def retire(self) -> None:
        """Give the decoder back to the reader (waits for a decode in progress)."""
        with self._lock:
            self._shared = False

    def __call__(self, packets: tuple[av.Packet[av.VideoStream], ...]) -> np.ndarray:
        """Return the keyframe's picture as BGR; SourceError('decode') when it does not decode."""
        try:
            with self._lock:
                pictures = decode_alone(self._ctx if self._shared else self._own_decoder(), packets)
        except Exception as exc:
            self.failures += 1
            raise av_error(exc, "decode", 0.0, float("inf")) from None
        if not pictures:
            self.failures += 1
            raise SourceError("decode", "keyframe gave no picture")
        self.failures = 0
        pic = pictures[-1]
        if problem := size_problem(pic.width, pic.height):  # the size announced was that of an earlier picture
            raise SourceError("bad_size", problem)
        return to_bgr(pic, self._scaler)

    def _own_decoder(self) -> av.VideoCodecContext:
        ctx = av.CodecContext.create(self._ctx.codec.name, "r")
        ctx.thread_count = 1
        ctx.flags2 = self._ctx.flags2
        if self._ctx.extradata:  # parameter sets from the SDP or the container (cameras repeat them in-band)
            ctx.extradata = self._ctx.extradata
        return ctx  # type: ignore[return-value]
