"""The running pipeline: sampler -> queue -> inference worker -> site states; a clock hands snapshots to outputs."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

import numpy as np
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from ..config import CameraConfig, LoadedConfig
from ..config.reload_plan import ReloadPlan
from ..detect.base import Detector
from ..metrics.registry import Metrics
from ..privacy.evidence import EVIDENCE_DIR, EvidenceStore
from ..sources import CameraSource, Frame, open_source
from ..state.model import SiteSnapshot
from ..view.check import ViewMonitor
from .analyse import Analyser
from .events import TickFanout
from .outputs import AlertSink, AlertStage, EvidenceOutput, MetricsOutput
from .readonly import CameraSample, LastSample, Readiness, SampleObserver
from .sampler import Sampler
from .sites import SiteStates
from .worker import InferenceWorker

log = logging.getLogger(__name__)


class Engine:
    """Wires the parts of the pipeline and runs them; readers see it through ``readonly.PipelineView``.

    - ``sampler``: the cameras' sources, their sample jobs (keyframe-aligned) and the bounded sample queue;
    - ``worker``: batched inference and the view check, outside every lock;
    - ``states``: the sites' trackers and the cameras' runtimes, behind one lock;
    - the clock job (``tick``, every second) takes every site's snapshot under that lock, releases it, and
      publishes the tick to ``ticks`` (metrics; the alert stage), whose alert stage publishes it with its
      notifications to ``notified`` (evidence; the reports' history). See ``outputs`` for who sees every tick.

    ``retire`` and ``adopt`` apply a hot reload (see monitor.reload): each part takes its share; cameras that
    did not change keep their sources, threads and smoothing state.
    """

    def __init__(self, loaded: LoadedConfig, detectors: dict[str, Detector], metrics: Metrics,
                 alerts: AlertSink | None = None, clock: Callable[[], float] = time.time,
                 source_factory: Callable[[CameraConfig], CameraSource] = open_source,
                 observer: SampleObserver | None = None) -> None:
        """Build every part for ``loaded``; nothing runs until ``start``. ``observer`` hears of each sample."""
        self.loaded = loaded
        self.metrics = metrics
        self.clock = clock
        cfg = loaded.config
        self.scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4)},
                                             job_defaults={"coalesce": True, "max_instances": 1,
                                                           "misfire_grace_time": 5})
        self.states = SiteStates(loaded, metrics, source_factory, clock)
        self.sampler = Sampler(self.scheduler, self.states, metrics, clock)
        self.views = ViewMonitor(cfg.service.state_dir)
        self.worker = InferenceWorker(Analyser(detectors, cfg.detector.tiling), self.sampler.queue, self.states,
                                      self.views, metrics, clock, cfg.detector.max_batch, observer)
        self.ticks = TickFanout(on_drop=self._dropped)
        self.notified = TickFanout(on_drop=self._dropped)
        self.metrics_out = MetricsOutput(cfg, metrics)
        self.evidence = EvidenceOutput(EvidenceStore(cfg.service.state_dir / EVIDENCE_DIR),
                                       lambda: self.loaded.config.service.evidence, self.states, clock)
        self.ticks.subscribe("metrics", self.metrics_out)
        self.ticks.subscribe("alerts", AlertStage(alerts, self.notified), every=True)
        self.notified.subscribe("evidence", self.evidence, every=True)
        self.started_at: float | None = None
        self._stopped = threading.Event()

    def _dropped(self, subscriber: str) -> None:
        self.metrics.tick_subscriber_dropped.labels(subscriber).inc()

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open every camera, start the inference worker and the schedules."""
        self.started_at = self.clock()
        self.sampler.start(self.states.cameras.values())
        self.scheduler.add_job(self.tick, "interval", seconds=1.0, id="clock", next_run_time=dt.datetime.now())
        self._schedule_purge()
        self.worker.start()
        self.scheduler.start()
        log.info("engine started", extra={"sites": len(self.states.sites), "cameras": len(self.states.cameras)})

    def _schedule_purge(self) -> None:
        # Runs whether or not saving is enabled: pictures saved before it was switched off must still expire.
        every = self.loaded.config.service.evidence.purge_every
        self.scheduler.add_job(self.evidence.purge, "interval", seconds=every, id="evidence-purge",
                               replace_existing=True, next_run_time=dt.datetime.now())

    def stop(self) -> None:
        """Stop schedules, the worker and every source, then let the outputs finish; safe to call twice."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        try:
            self.scheduler.shutdown(wait=True)
        except Exception:  # noqa: BLE001 - not started
            pass
        self.worker.stop()
        for rt in self.states.cameras.values():
            rt.source.stop()
        self.ticks.close()  # the alert stage publishes what it still holds to `notified` before it ends
        self.notified.close()
        log.info("engine stopped")

    # -- the state clock ----------------------------------------------------------------------------------------

    def tick(self) -> list[SiteSnapshot]:
        """Take every site's snapshot (under the states' lock) and hand them to the outputs (outside it)."""
        ticks = self.states.tick(self.clock())
        self.ticks.publish(ticks)
        return [t.snapshot for t in ticks]

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every output has handled the ticks published so far; True when all did in time."""
        return self.ticks.drain(timeout) and self.notified.drain(timeout)

    # -- hot reload ---------------------------------------------------------------------------------------------

    def retire(self, plan: ReloadPlan) -> None:
        """Stop the cameras a reload removes or restarts and drop removed sites (first half of a reload)."""
        old = self.states.retire(plan)
        for rt in old:
            self.sampler.forget(rt.camera.id)
        self.metrics_out.retire(plan)
        # Outside every lock: a source may take up to its read timeout to stop, the clock must keep ticking.
        self.sampler.stop(old)
        for rt in old:
            log.info("camera stopped by reload", extra={"camera": rt.camera.id})

    def adopt(self, loaded: LoadedConfig, plan: ReloadPlan) -> None:
        """Take the new config: add and restart cameras, update changed ones, rebuild changed sites."""
        cfg = loaded.config
        purge_changed = cfg.service.evidence.purge_every != self.loaded.config.service.evidence.purge_every
        self.loaded = loaded
        self.worker.adopt(cfg.detector)
        new = self.states.adopt(loaded, plan)
        if self.started_at is not None:
            self.sampler.start(new)
        for rt in new:
            log.info("camera started by reload", extra={"camera": rt.camera.id})
        self.views.retain(self.states.cameras)
        self.metrics_out.adopt(cfg, plan)
        if purge_changed and self.started_at is not None:
            self._schedule_purge()

    # -- the read-only view (readonly.PipelineView) ---------------------------------------------------------------

    def snapshots(self) -> list[SiteSnapshot]:
        """Return the latest snapshot of every site (computed now if the clock has not run yet)."""
        return self.states.snapshots()

    def camera(self, camera_id: str) -> CameraSample | None:
        """Return a running camera with its last sample."""
        return self.states.camera(camera_id)

    def ready(self) -> Readiness:
        """Return whether the models are loaded and the engine runs."""
        return Readiness(model=bool(self.worker.analyser.detectors), running=self.started_at is not None)

    def detector_kinds(self) -> set[str]:
        """Return the detector kinds loaded in this process ('person', 'head')."""
        return set(self.worker.analyser.detectors)

    def analyse_still(self, camera: CameraConfig, image: np.ndarray, pts: float | None) -> LastSample:
        """Analyse one picture with the camera's models and zones, outside the pipeline (changes no state)."""
        a = self.worker.analyser.analyse([(camera, image)])[0]
        return LastSample(Frame(image, self.clock(), pts, -1), a.detections, a.counts)
