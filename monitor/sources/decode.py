"""Pure decoding decisions: which frames to decode and take, keyframe spacing, stalls, acceptable picture sizes."""

from __future__ import annotations

from collections import deque
from typing import Literal

DecodeMode = Literal["keyframes", "all"]

MAX_SIDE = 8192
MAX_PIXELS = 7680 * 4320
"""Largest accepted picture: 8K UHD worth of pixels, either way round (corridor-mode cameras are portrait)."""


def choose_decode_mode(sample_every: float, keyframe_interval: float | None) -> DecodeMode:
    """Return 'keyframes' when decoding keyframes alone still gives a fresh frame for every sample.

    A keyframe at least once per sample interval means every sample sees a frame no older than one
    interval, exactly what decoding everything and keeping the newest would give a sampler that
    looks once per interval; equality counts (a 2 s GOP sampled every 2 s). Unknown spacing
    (fewer than two keyframes seen) decodes everything, which is always correct.

    >>> choose_decode_mode(2.0, 1.0), choose_decode_mode(0.5, 2.0), choose_decode_mode(2.0, None)
    ('keyframes', 'all', 'all')
    """
    if keyframe_interval is None or keyframe_interval <= 0 or sample_every <= 0:
        return "all"
    return "keyframes" if keyframe_interval <= sample_every + 1e-6 else "all"


class KeyframeClock:
    """Spacing of a stream's keyframes, from the times of the last few (video seconds)."""

    def __init__(self, window: int = 5) -> None:
        self._times: deque[float] = deque(maxlen=window)

    def add(self, t: float) -> None:
        """Record a keyframe at video time t; a jump backwards (file loop, camera restart) starts over.

        Several packets of one keyframe (multi-slice pictures) share its time: they count once.
        """
        if self._times and t == self._times[-1]:
            return
        if self._times and t < self._times[-1]:
            self._times.clear()
        self._times.append(t)

    def interval(self) -> float | None:
        """Return the longest recent gap between keyframes, None until two have been seen.

        The longest, not the mean: cameras with a variable GOP ("smart codec") stretch it when the scene is
        still, and one long gap is enough to starve a keyframes-only sampler.
        """
        if len(self._times) < 2:
            return None
        t = list(self._times)
        return max(b - a for a, b in zip(t, t[1:], strict=False))


def size_problem(width: int, height: int) -> str | None:
    """Return why a width x height picture is unusable (empty or beyond 8K), or None when it is fine."""
    if width <= 0 or height <= 0:
        return f"empty picture {width}x{height}"
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        return f"picture {width}x{height} is larger than 8K (7680x4320)"
    return None


class DecodePolicy:
    """Which pictures a reader decodes, decided again at every keyframe from their spacing and the sample interval.

    >>> p = DecodePolicy(sample_every=2.0)
    >>> p.keyframe(0.0), p.keyframe(1.0), p.mode, p.interval
    (False, True, 'keyframes', 1.0)
    """

    def __init__(self, sample_every: float) -> None:
        self.sample_every = sample_every
        self.clock = KeyframeClock()
        self.mode: DecodeMode = "all"  # every frame until the keyframes' spacing is known
        self.interval: float | None = None
        self.keyed = False  # a keyframe has been seen

    def keyframe(self, t: float) -> bool:
        """Record a keyframe at video time t; return True when the decode mode changes."""
        self.clock.add(t)
        self.keyed = True
        self.interval = self.clock.interval()
        wanted = choose_decode_mode(self.sample_every, self.interval)
        if wanted == self.mode:
            return False
        self.mode = wanted
        return True


class StallWatch:
    """Packets arrive but no picture comes out: a broken stream once that lasts longer than the limit.

    The limit is the configured minimum, or three keyframe intervals when keyframes are rarer (a keyframes-only
    reader of a 10 s GOP rightly goes 10 s without a picture).
    """

    def __init__(self, minimum_s: float, now: float) -> None:
        self.minimum_s = self.limit_s = minimum_s
        self._last = now

    def picture(self, now: float) -> None:
        """Note that a picture was handed over at monotonic time now."""
        self._last = now

    def keyframes_every(self, interval: float | None) -> None:
        """Follow the keyframes' spacing (None: unknown)."""
        self.limit_s = max(self.minimum_s, 3 * (interval or 0.0))

    def problem(self, now: float) -> str | None:
        """Return why the stream counts as broken at monotonic time now, None while it does not."""
        quiet = now - self._last
        return f"packets arrive but no picture decoded for {quiet:.0f} s" if quiet > self.limit_s else None


TIME_EPS = 1e-6
"""Frame times are rationals, sample times floats: 30/10240 s after 29.99 s must count as 30 s."""


class VideoTimeSampler:
    """Sample a video by its own time: the first frame at or after each multiple of `every` seconds.

    Multiples count from the first frame seen (see `origin`); a gap in the video yields one frame, not many.

    >>> s = VideoTimeSampler(1.0)
    >>> [t for t in (5.0, 5.5, 6.0, 6.2, 8.5, 8.6, 9.0) if s.take(t)]
    [5.0, 6.0, 8.5, 9.0]
    """

    def __init__(self, every: float) -> None:
        if every <= 0:
            raise ValueError(f"every must be positive, not {every}")
        self.every = every
        self.origin: float | None = None  # video time of the first frame
        self._target = 0.0  # next sample time, from origin

    def take(self, t: float) -> bool:
        """Return True when the frame at video time t is the next sample (and move on to the one after)."""
        if self.origin is None:
            self.origin = t
        t -= self.origin
        if t + TIME_EPS < self._target:
            return False
        # Skip the targets this frame already covers.
        self._target = (int((t + TIME_EPS) // self.every) + 1) * self.every
        return True

    def restart(self) -> None:
        """Start again from the next frame seen (a file that loops)."""
        self.origin, self._target = None, 0.0
