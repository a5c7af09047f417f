"""The sampler: each camera's newest frame queued on its schedule; keyframes-only cameras just after a keyframe."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable

from apscheduler.schedulers.base import BaseScheduler

from ..metrics.registry import Metrics
from ..sources import Frame
from .align import next_sample_at
from .queue import SampleQueue
from .sites import CameraRuntime, SiteStates

log = logging.getLogger(__name__)

Sample = tuple[CameraRuntime, Frame]


class Sampler:
    """Owns the cameras' sources and sampling jobs and the bounded queue the inference worker takes from.

    A sample job (``sample:<camera id>``) runs every ``sample_every`` seconds; a frame already queued or too old
    to pass for live data is not queued; overload drops a camera's oldest sample, counted.
    """

    def __init__(self, scheduler: BaseScheduler, states: SiteStates, metrics: Metrics,
                 clock: Callable[[], float]) -> None:
        """Sample the cameras of ``states`` with jobs on ``scheduler``."""
        self.scheduler = scheduler
        self.states = states
        self.metrics = metrics
        self.clock = clock
        self.queue: SampleQueue[Sample] = SampleQueue(per_camera=1, max_age=None, on_drop=self._dropped)

    def start(self, cameras: Iterable[CameraRuntime]) -> None:
        """Open each camera's source and schedule its sampling."""
        for rt in cameras:
            rt.source.start()
            self.schedule(rt)

    def schedule(self, rt: CameraRuntime) -> None:
        """(Re)schedule a camera's sample job at its interval, the first run within a second."""
        self.scheduler.add_job(self.sample, "interval", args=[rt.camera.id], seconds=rt.camera.sample_every,
                               id=f"sample:{rt.camera.id}", replace_existing=True,
                               next_run_time=dt.datetime.now() + dt.timedelta(seconds=min(rt.camera.sample_every, 1)))

    def forget(self, camera_id: str) -> None:
        """Stop sampling a camera and drop what it has queued."""
        try:
            self.scheduler.remove_job(f"sample:{camera_id}")
        except Exception:  # noqa: BLE001 - JobLookupError: never scheduled (engine not started)
            pass
        self.queue.forget(camera_id)

    @staticmethod
    def stop(cameras: Iterable[CameraRuntime]) -> None:
        """Stop the cameras' sources side by side (each may take up to its read timeout); return when all did."""
        stoppers = [threading.Thread(target=rt.source.stop, name=f"stop-{rt.camera.id}") for rt in cameras]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()

    def sample(self, camera_id: str) -> bool:
        """Queue the camera's newest frame if it is new and fresh; return whether one was queued."""
        rt = self.states.cameras.get(camera_id)
        if rt is None:
            return False
        frame = rt.source.latest()
        if frame is None or frame.seq == rt.last_seq:
            self._follow_keyframes(rt, frame, new=False)
            return False
        if self.clock() - frame.ts > rt.camera.sample_every * rt.camera.stale_after:
            return False  # an old frame would pass for live data
        rt.last_seq = frame.seq
        self.queue.put(camera_id, (rt, frame))
        self._follow_keyframes(rt, frame, new=True)
        return True

    def _follow_keyframes(self, rt: CameraRuntime, frame: Frame | None, new: bool) -> None:
        """Move a keyframes-only camera's next sample to just after its next keyframe (see pipeline.align)."""
        if frame is None or rt.source.status().decode_mode != "keyframes":
            return
        now = self.clock()
        at = next_sample_at(now, frame.ts, new, rt.camera.sample_every)
        job = self.scheduler.get_job(f"sample:{rt.camera.id}") if at is not None else None
        if job is not None and at is not None:
            job.modify(next_run_time=dt.datetime.now().astimezone() + dt.timedelta(seconds=at - now))

    def _dropped(self, camera: str, reason: str) -> None:
        rt = self.states.cameras.get(camera)
        if rt is not None:
            self.metrics.samples_dropped.labels(rt.site.id, camera).inc()
        # Counted in onestop_samples_dropped_total; a log line per drop would flood the log under overload.
        log.debug("sample dropped", extra={"camera": camera, "reason": reason})
