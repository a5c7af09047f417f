"""Pure decoding decisions: which frames to decode, keyframe spacing, acceptable picture sizes."""

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
