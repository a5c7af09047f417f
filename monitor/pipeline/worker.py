"""The inference worker: one thread takes batches from the sample queue, runs the models and the view check."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..config import CameraConfig, DetectorConfig
from ..detect.detections import Detections
from ..metrics.registry import Metrics
from ..sources import Frame
from ..state.model import ViewReading
from ..view.check import ViewMonitor
from .analyse import Analyser
from .queue import SampleQueue
from .readonly import Applied, SampleObserver
from .sampler import Sample
from .sites import SiteStates

log = logging.getLogger(__name__)


class InferenceWorker:
    """Batches samples across cameras (up to ``max_batch``), analyses them, and feeds the site states.

    Inference runs outside every lock; only applying the counts takes the site states' lock, briefly.
    """

    def __init__(self, analyser: Analyser, queue: SampleQueue[Sample], states: SiteStates, views: ViewMonitor,
                 metrics: Metrics, clock: Callable[[], float], max_batch: int,
                 observer: SampleObserver | None = None) -> None:
        """Take from ``queue``; ``observer`` (benchmarks) hears of every applied sample."""
        self.analyser = analyser
        self.queue = queue
        self.states = states
        self.views = views
        self.metrics = metrics
        self.clock = clock
        self.max_batch = max_batch
        self.observer = observer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="inference", daemon=True)

    def start(self) -> None:
        """Start the worker thread."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Close the queue and wait for the batch in hand."""
        self._stop.set()
        self.queue.close()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def adopt(self, detector: DetectorConfig) -> None:
        """Apply the detector settings a reload may change live (tiling, max_batch)."""
        self.analyser.default_tiling = detector.tiling
        self.max_batch = detector.max_batch

    def _work(self) -> None:
        while not self._stop.is_set():
            batch = self.queue.take(self.max_batch, timeout=0.5)
            if batch:
                try:
                    now = time.monotonic()
                    self.process([q.item for q in batch], [now - q.queued_at for q in batch])
                except Exception:
                    log.exception("inference failed; batch skipped", extra={"frames": len(batch)})

    def process(self, items: list[Sample], waited: list[float] | None = None) -> None:
        """Analyse frames and feed the counts to their sites' trackers (``waited``: seconds each was queued)."""
        t0 = time.monotonic()
        cams = [rt.camera for rt, _ in items]
        analyses = self.analyser.analyse([(cam, f.image) for cam, (_, f) in zip(cams, items, strict=True)])
        views = [self._check_view(cam, frame, a.detections)
                 for cam, (_, frame), a in zip(cams, items, analyses, strict=True)]
        now = self.clock()
        for cam, (rt, frame), a, view in zip(cams, items, analyses, views, strict=True):
            if self.states.apply(rt, cam, frame, a, view):
                self.metrics.frames_sampled.labels(rt.site.id, cam.id).inc()
                self.metrics.sample_lag_seconds.observe(max(0.0, now - frame.ts))
        if self.observer is not None:
            done, spent = self.clock(), time.monotonic() - t0
            for i, (rt, frame) in enumerate(items):
                wait = None if waited is None else waited[i] + spent
                self.observer(Applied(rt.camera.id, frame.ts, done, wait, len(items)))

    def _check_view(self, cam: CameraConfig, frame: Frame, detections: dict[str, Detections]) -> ViewReading | None:
        """Compare the sample with the camera's reference view (see monitor.view); never fails the sample."""
        try:
            return self.views.observe(cam, frame.image, frame.ts, detections.values())
        except Exception:
            log.exception("camera view check failed", extra={"camera": cam.id})
            return self.views.reading(cam.id)
