"""Robust per-zone values: the median of the last few known samples, so one missed detection flips nothing."""

from __future__ import annotations

from collections import deque
from statistics import median


class MedianWindow:
    """Median over the last ``n`` known samples.

    Unknown samples (camera stale, model not run) are simply not added; the window never holds a made-up zero.

    >>> w = MedianWindow(3)
    >>> for v in (2, 0, 2): w.add(v)
    >>> w.value()
    2
    """

    def __init__(self, n: int) -> None:
        """Keep the last ``n`` (>= 1) samples."""
        if n < 1:
            raise ValueError(f"window size must be >= 1, got {n}")
        self.n = n
        self._values: deque[float] = deque(maxlen=n)

    def add(self, value: float) -> None:
        """Add one known sample, dropping the oldest once the window is full."""
        self._values.append(value)

    def value(self) -> float | None:
        """Return the median of the held samples (mean of the middle two for an even count), None if empty."""
        return median(self._values) if self._values else None

    def clear(self) -> None:
        """Forget every sample (after a camera outage or a zone change)."""
        self._values.clear()

    def __len__(self) -> int:
        """Return how many samples are held."""
        return len(self._values)
