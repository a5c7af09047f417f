"""What the benchmark measures in the service process, through the engine's public hooks and its metrics.

The engine is given wrapped camera sources (its `source_factory`) that note when each frame is taken for a
sample, and a Metrics whose `onestop_sample_lag_seconds` histogram also keeps each value it observes.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Histogram

from monitor.config import CameraConfig
from monitor.metrics import Metrics
from monitor.sources import CameraSource, Frame, SourceError, SourceStatus, open_source

MATCH_WINDOW_S = 1.0
"""A lag observation is paired with a frame taken at most this long before its capture time allows."""


@dataclass(frozen=True)
class Sample:
    """One analysed sample: when its counts were applied, its lag (capture -> applied) and its queue+inference."""

    at: float
    lag: float
    wait: float | None  # None when the frame's hand-over was not seen


class SampleLog:
    """Pairs each lag the engine observes with the frame it belongs to, to split the lag into age and wait.

    A lag observed at `now` belongs to the frame captured at `now - lag` (frame times are the sources' own
    clock); the frame's hand-over time then gives the queue+inference wait.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._taken: list[tuple[float, float]] = []  # (frame capture ts, handed over at), sorted
        self.samples: list[Sample] = []

    def handed_over(self, frame: Frame) -> None:
        """Note that a frame was taken for a sample now."""
        with self._lock:
            bisect.insort(self._taken, (frame.ts, self._clock()))

    def observed(self, lag: float) -> None:
        """Note a sample's lag as the engine observes it, now."""
        now = self._clock()
        captured = now - lag  # a little after the frame's ts: the engine read its clock just before
        with self._lock:
            i = bisect.bisect_right(self._taken, (captured + 1e-6, float("inf"))) - 1
            wait = None
            if i >= 0 and captured - self._taken[i][0] < MATCH_WINDOW_S:
                wait = now - self._taken.pop(i)[1]
            self.samples.append(Sample(now, lag, wait))
            # Frames never analysed (stale, or dropped when inference fell behind) are forgotten.
            del self._taken[:bisect.bisect_left(self._taken, (now - 120.0, 0.0))]

    def between(self, start: float, end: float) -> list[Sample]:
        """Return the samples applied from start to end."""
        with self._lock:
            return [s for s in self.samples if start <= s.at <= end]


class LagHistogram(Histogram):
    """Stands in for the engine's lag histogram: each value goes to the real one and to the sample log."""

    def __init__(self, real: Histogram, log: SampleLog) -> None:
        super().__init__("bench_sample_lag_seconds", "Lags kept by the benchmark.", registry=None)
        self._real, self._log = real, log

    def observe(self, amount: float, exemplar: dict[str, str] | None = None) -> None:
        """Observe into the real histogram and log the value."""
        self._real.observe(amount, exemplar)
        self._log.observed(amount)


def measured_metrics(log: SampleLog) -> Metrics:
    """Return the service's Metrics with the sample lag also logged."""
    metrics = Metrics()
    metrics.sample_lag_seconds = LagHistogram(metrics.sample_lag_seconds, log)
    return metrics


class MeasuredSource(CameraSource):
    """A camera's source, unchanged, that tells the log when each of its frames is first taken."""

    def __init__(self, inner: CameraSource, log: SampleLog) -> None:
        super().__init__(inner.camera, inner.options)
        self.inner, self._log = inner, log
        self._seq = -1  # no frame is kept here: the harness must not add to the memory it measures

    def _session(self) -> None:
        """Never runs: the inner source reads the camera."""

    def start(self) -> None:
        """Start the inner source."""
        self.inner.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the inner source."""
        return self.inner.stop(timeout)

    @property
    def running(self) -> bool:
        """Return whether the inner source runs."""
        return self.inner.running

    def latest(self) -> Frame | None:
        """Return the inner source's newest frame, noting its hand-over the first time."""
        frame = self.inner.latest()
        if frame is not None and frame.seq != self._seq:
            self._seq = frame.seq
            self._log.handed_over(frame)
        return frame

    def wait_frame(self, timeout: float, newer_than: int = 0) -> Frame | None:
        """Wait on the inner source."""
        return self.inner.wait_frame(timeout, newer_than)

    def last_failure(self) -> SourceError | None:
        """Return the inner source's last failure."""
        return self.inner.last_failure()

    def status(self) -> SourceStatus:
        """Return the inner source's status."""
        return self.inner.status()


class MeasuredSources:
    """A source factory for the engine: each camera's usual source, wrapped; keeps them to read them later."""

    def __init__(self, log: SampleLog, make: Callable[[CameraConfig], CameraSource] = open_source) -> None:
        self._log, self._make = log, make
        self.made: list[MeasuredSource] = []

    def __call__(self, camera: CameraConfig) -> CameraSource:
        """Return the camera's source, wrapped."""
        source = MeasuredSource(self._make(camera), self._log)
        self.made.append(source)
        return source
