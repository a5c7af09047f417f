"""Video files as cameras: played in real time like a live camera, or sampled by video time as fast as taken."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import av

from .base import SourceError
from .decode import VideoTimeSampler
from .stream import PacketReader, StreamSource


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


class FileSource(StreamSource):
    """A video file (a local path, file:// or an HTTP URL of type 'file') read as a camera.

    With camera.realtime it plays at its own frame rate like a live camera (same reading and decoding); without,
    it advances one sample interval of video per taken frame (as fast as the consumer goes, skipping nothing),
    taking the frames `replay` takes (VideoTimeSampler). With camera.loop it starts again at the end, otherwise
    the source finishes.
    """

    def _read(self, container: av.container.InputContainer, stream: av.VideoStream) -> None:
        if self.camera.realtime:
            self._play(container, stream)
        else:
            self._sample(container, stream)

    def _play(self, container: av.container.InputContainer, stream: av.VideoStream) -> None:
        """Hand over pictures when their video time comes, like a live camera."""
        reader = self._reader(stream, defer_keyframes=True)
        pacer = Pacer()
        for packet in self._packets(container, stream, reader, on_rewind=pacer.restart):
            for picture in reader.feed(packet):
                if picture.due is not None and not self._sleep(pacer.delay(picture.due, time.monotonic())):
                    return
                self._offer(picture.convert, picture.width, picture.height, picture.pts)
                reader.stall.picture(time.monotonic())

    def _sample(self, container: av.container.InputContainer, stream: av.VideoStream) -> None:
        """Hand over one picture per sample interval of video, each once the previous one has been taken."""
        # Keyframes are decoded at once: every picture handed over is waited for, so deferring saves nothing.
        reader = self._reader(stream, defer_keyframes=False)
        sampler = VideoTimeSampler(self.camera.sample_every)
        for packet in self._packets(container, stream, reader, on_rewind=sampler.restart):
            for picture in reader.feed(packet):
                if picture.pts is None or sampler.take(picture.pts):
                    seq = self._offer(picture.convert, picture.width, picture.height, picture.pts)
                    if not self._wait_taken(seq):
                        return
                reader.stall.picture(time.monotonic())

    def _packets(self, container: av.container.InputContainer, stream: av.VideoStream, reader: PacketReader,
                 on_rewind: Callable[[], None]) -> Iterator[av.Packet[av.VideoStream]]:
        """Yield the file's packets; at its end start again (camera.loop) or finish, counting an 'eof'."""
        while True:
            yield from self._demux(container, stream, reader.stall)
            if self._stopping():
                return
            if not self.camera.loop:
                self._count_error(SourceError("eof", "end of file"))
                return
            try:
                container.seek(0)
            except Exception as exc:  # e.g. an HTTP file on a server without range requests
                raise SourceError("io", f"cannot rewind to loop: {type(exc).__name__}") from None
            reader.rewound()
            on_rewind()
