"""Video streams and files (RTSP, RTMP, HTTP video, files) read with PyAV, decoding only what is used."""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

import av
import numpy as np
from av.codec.context import Flags2
from av.video.reformatter import VideoReformatter

from ..config import CameraConfig
from .avtools import av_error, av_options, quiet_ffmpeg, scheme
from .base import CameraSource, SourceError, SourceOptions
from .decode import DecodeMode, KeyframeClock, choose_decode_mode, size_problem

KEYFRAME_GRACE_S = 5.0
"""After connecting, packets before the first keyframe are skipped (they cannot decode) for at most this long;
a stream whose keyframes FFmpeg never flags is then decoded anyway."""

MAX_DECODE_ERRORS = 30
"""Pictures in a row that fail to decode before the connection is dropped and opened again."""

MAX_KEYFRAME_FAILURES = 3
"""Taken keyframes in a row that fail to decode (keyframes-only mode) before the connection is opened again."""


def local_path(url: str) -> str:
    """Return the filesystem path of a plain path or file:// URL."""
    if url.lower().startswith("file://"):
        return unquote(urlsplit(url).path)
    return str(Path(url).expanduser())


def seconds(value: int | None, time_base: object) -> float | None:
    """Return value x time_base in seconds, None when either is unknown."""
    if value is None or time_base is None:
        return None
    if isinstance(time_base, float):
        # The live reader passes a float: Fraction arithmetic on every packet of every camera costs real CPU.
        return value * time_base
    return float(value * time_base)  # type: ignore[operator]  # exact, for replay's sampling by video time


def to_bgr(frame: av.VideoFrame, scaler: VideoReformatter | None = None) -> np.ndarray:
    """Convert a decoded picture to a BGR uint8 array (done only for taken frames).

    Pass one scaler per camera and reuse it: `VideoFrame.to_ndarray` makes a new FFmpeg scaler per picture,
    which starts its own threads each time and keeps them as long as the picture lives. One thread is enough:
    cameras already convert in parallel, and a 720p picture takes well under a millisecond.
    """
    if scaler is None:
        scaler = VideoReformatter()
    return scaler.reformat(frame, format="bgr24", threads=1).to_ndarray()


def decode_alone(ctx: av.VideoCodecContext, packets: tuple[av.Packet, ...]) -> list[av.VideoFrame]:
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

    def __call__(self, packets: tuple[av.Packet, ...]) -> np.ndarray:
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


class Pacer:
    """Keeps a local file at its own speed: wall time follows video time from an anchor."""

    def __init__(self) -> None:
        self._anchor: tuple[float, float] | None = None  # (wall monotonic, video seconds)

    def delay(self, t_video: float, now: float) -> float:
        """Return how long to wait before the packet at t_video is due (0 when late)."""
        if self._anchor is None or t_video < self._anchor[1]:
            self._anchor = (now, t_video)
            return 0.0
        delay = self._anchor[0] + (t_video - self._anchor[1]) - now
        if delay < -1.0:
            # Far behind (slow disk, busy CPU): re-anchor rather than rush through the backlog.
            self._anchor = (now, t_video)
            return 0.0
        return max(0.0, delay)

    def restart(self) -> None:
        """Forget the anchor (after seeking back to the start of a looping file)."""
        self._anchor = None


class StreamSource(CameraSource):
    """A video stream or video file, read on its own thread with PyAV.

    Packets are read all the time so the camera keeps the session alive and no backlog builds up, but only
    what a sample needs is decoded: keyframes alone when they come at least once per sample interval,
    otherwise every frame, keeping the newest. Conversion to BGR happens only when a frame is taken.
    Local files: with camera.realtime they play at their own frame rate like a live camera; without it they
    advance one sample interval of video per taken frame (as fast as the consumer goes, skipping nothing).
    With camera.loop they start again at the end, otherwise the source finishes.
    """

    def __init__(self, camera: CameraConfig, options: SourceOptions | None = None, *,
                 is_file: bool = False) -> None:
        super().__init__(camera, options)
        quiet_ffmpeg()
        self.is_file = is_file
        self._url = local_path(camera.url) if scheme(camera.url) in ("", "file") else camera.url
        self._scaler = VideoReformatter()  # used under the base class's conversion lock: one at a time

    def _session(self) -> None:
        self._set_decode_mode("all")
        t0 = time.monotonic()
        try:
            container = av.open(self._url, options=av_options(self._url, self.options.read_timeout),
                                timeout=(self.options.open_timeout, self.options.read_timeout))
        except Exception as exc:  # PyAV raises a dozen exception types; all are mapped to reasons
            # The read timeout also bounds the stream probing inside open, so the shorter one decides.
            limit = min(self.options.open_timeout, self.options.read_timeout)
            raise av_error(exc, "open", time.monotonic() - t0, limit) from None
        try:
            if not container.streams.video:
                raise SourceError("codec", "no video stream")
            self._read(container, container.streams.video[0])
        finally:
            try:
                container.close()
            except Exception:  # closing a broken connection may fail too; nothing is left to do with it
                pass

    def _read(self, container: av.container.InputContainer, stream: av.VideoStream) -> None:
        ctx = stream.codec_context
        if not self.is_file:
            # RTP depacketisers (FFmpeg's RTSP) hand over one slice per packet; without this flag the decoder
            # takes each packet for a whole picture and a multi-slice camera's frames come out in bands of grey.
            ctx.flags2 |= Flags2.chunks
        tb = float(stream.time_base) if stream.time_base is not None else None
        sample_every = self.camera.sample_every
        consumer_paced = self.is_file and not self.camera.realtime
        pacer = Pacer() if self.is_file and self.camera.realtime else None
        clock = KeyframeClock()
        # Recomputed only when a keyframe arrives: the clock changes then, and this loop runs for every packet.
        stall_limit = self.options.no_frame_timeout
        mode: DecodeMode = "all"
        self._apply_mode(ctx, mode)
        # Keyframes-only mode hands over undecoded keyframes, decoded only when taken (not for consumer-paced
        # files, which hand over every sample anyway and wait for it).
        lazy = not consumer_paced
        keyframes: KeyframeDecoder | None = None
        group: list[av.Packet] = []  # packets of the keyframe being read, in keyframes-only mode
        group_t: float | None = None
        size = (0, 0)  # of the last picture the reader decoded itself
        keyed = False  # a keyframe has been seen in this session
        session_start = last_picture = time.monotonic()
        decode_errors = 0
        next_sample = float("-inf")  # video time of the next frame to hand over when consumer-paced
        loop_offset = last_t = 0.0  # keeps the keyframe clock going forward across file loops
        packets = container.demux(stream)
        while not self._stopping():
            now = time.monotonic()
            quiet = now - last_picture
            if quiet > stall_limit:
                raise SourceError("decode", f"packets arrive but no picture decoded for {quiet:.0f} s")
            try:
                packet = next(packets, None)
            except Exception as exc:
                raise av_error(exc, "read", time.monotonic() - now, self.options.read_timeout) from None
            if packet is None:
                if not self.is_file:
                    raise SourceError("eof", "stream ended")
                if not self.camera.loop:
                    self._count_error(SourceError("eof", "end of file"))
                    return
                try:
                    container.seek(0)
                except Exception as exc:  # e.g. an HTTP file on a server without range requests
                    raise SourceError("io", f"cannot rewind to loop: {type(exc).__name__}") from None
                ctx.flush_buffers()
                loop_offset += last_t + 1e-3
                packets = container.demux(stream)
                next_sample = float("-inf")
                if pacer:
                    pacer.restart()
                continue
            if packet.size == 0:  # the demuxer's end-of-input marker; the next read says it is the end
                continue
            t = seconds(packet.pts if packet.pts is not None else packet.dts, tb)
            if t is not None:
                last_t = max(last_t, t)
            if group and not (packet.is_keyframe and (t is None or group_t is None or t == group_t)):
                # A keyframe may come as several packets sharing its time (parameter sets, then one per slice):
                # it is handed over whole once a packet of the next picture arrives.
                assert keyframes is not None
                if keyframes.failures >= MAX_KEYFRAME_FAILURES:
                    raise SourceError("decode", f"{keyframes.failures} keyframes in a row did not decode")
                if pacer and not self._pace(pacer, group[0], group_t, tb):
                    return
                self._offer(partial(keyframes, tuple(group)), size[0], size[1], group_t)
                last_picture = time.monotonic()
                group, group_t = [], None
            if packet.is_keyframe:
                clock.add(t + loop_offset if t is not None else now)
                keyed = True
                interval = clock.interval()
                stall_limit = max(self.options.no_frame_timeout, 3 * (interval or 0.0))
                wanted = choose_decode_mode(sample_every, interval)
                if wanted != mode:
                    mode = wanted
                    if keyframes is not None:
                        keyframes.retire()
                        keyframes = None
                    self._apply_mode(ctx, mode)
                if mode == "keyframes" and lazy and size != (0, 0):
                    if keyframes is None:
                        keyframes = KeyframeDecoder(ctx, self._scaler)
                    if group_t is None:
                        group_t = t
                    group.append(packet)
                    continue
            elif mode == "keyframes" or (not keyed and now - session_start < KEYFRAME_GRACE_S):
                # Keyframes-only mode, or joined mid-GOP: the packet is read (stream stays live), not decoded.
                continue
            if pacer and not self._pace(pacer, packet, t, tb):
                return
            try:
                pictures = self._decode(ctx, packet, mode)
            except Exception as exc:
                err = av_error(exc, "decode", 0.0, float("inf"))
                if err.reason == "codec":
                    raise err from None
                decode_errors += 1
                self._count_error(SourceError("decode", err.message))
                if decode_errors >= MAX_DECODE_ERRORS:
                    raise SourceError("decode", f"{decode_errors} pictures in a row did not decode") from None
                continue
            if not pictures:
                continue
            decode_errors = 0
            pic = pictures[-1]  # newest only: older ones would be replaced before anyone looked
            size = (pic.width, pic.height)
            pts = seconds(pic.pts, tb) if pic.pts is not None else t
            if consumer_paced:
                if pts is not None and pts < next_sample - 1e-6:
                    last_picture = time.monotonic()
                    continue
                seq = self._offer(partial(to_bgr, pic, self._scaler), pic.width, pic.height, pts)
                next_sample = (pts if pts is not None else 0.0) + sample_every
                if not self._wait_taken(seq):
                    return
            else:
                self._offer(partial(to_bgr, pic, self._scaler), pic.width, pic.height, pts)
            last_picture = time.monotonic()

    def _pace(self, pacer: Pacer, packet: av.Packet, t: float | None, tb: float | None) -> bool:
        """Wait until a realtime file's packet is due; return False when stopped meanwhile."""
        due = seconds(packet.dts, tb) if packet.dts is not None else t
        return due is None or self._sleep(pacer.delay(due, time.monotonic()))

    def _apply_mode(self, ctx: av.VideoCodecContext, mode: DecodeMode) -> None:
        # Switching happens on a keyframe, so dropping the decoder's held-back picture loses nothing useful.
        ctx.flush_buffers()
        ctx.skip_frame = "NONKEY" if mode == "keyframes" else "DEFAULT"
        self._set_decode_mode(mode)

    @staticmethod
    def _decode(ctx: av.VideoCodecContext, packet: av.Packet, mode: DecodeMode) -> list[av.VideoFrame]:
        if mode == "keyframes":
            return decode_alone(ctx, (packet,))
        return ctx.decode(packet)
