"""The view check of every camera: take references, compare samples with them, say which views moved."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..config import CameraConfig
from ..detect.detections import Detections
from ..state.model import ViewReading
from .estimate import ViewEstimator, ViewShift
from .reference import VIEW_DIR, Reference, ReferenceStore, reference_key

log = logging.getLogger(__name__)

MIN_REFERENCE_FEATURES = 50
"""A view with fewer background features (dark, covered, crowded) is not taken as a reference; the next is tried."""


@dataclass
class _CameraView:
    """What the check knows of one camera under one zone layout."""

    key: str
    camera: CameraConfig
    reference: Reference | None
    reading: ViewReading
    samples: int = 0


class ViewMonitor:
    """Keeps each camera's reference view and compares its samples with it.

    ``observe`` is called with every analysed sample of a camera, from one thread (the inference worker): the
    first sample after a start or a zone change and then every ``view_check.every``-th one are compared (about
    1.5 ms on a 2-core CPU, see scripts/bench_view_check.py). Without a stored reference for the camera's
    current zones, the first usable sample becomes the reference. ``reading`` may be called from any thread.
    """

    def __init__(self, state_dir: Path) -> None:
        """Keep references under ``<state_dir>/view``."""
        self.store = ReferenceStore(Path(state_dir) / VIEW_DIR)
        self._estimator = ViewEstimator()
        self._views: dict[str, _CameraView] = {}
        self._lock = threading.Lock()

    def reading(self, camera_id: str) -> ViewReading | None:
        """Return the camera's latest view reading, None when its view check is off or it has no sample yet."""
        with self._lock:
            view = self._views.get(camera_id)
            return view.reading if view is not None else None

    def retain(self, camera_ids: Iterable[str]) -> None:
        """Forget cameras not in ``camera_ids`` (removed by a reload); their files stay for a later return."""
        keep = set(camera_ids)
        with self._lock:
            self._views = {cid: v for cid, v in self._views.items() if cid in keep}

    def observe(self, camera: CameraConfig, image: np.ndarray, ts: float,
                detections: Iterable[Detections]) -> ViewReading | None:
        """Feed one analysed sample (BGR ``image`` taken at unix ``ts``); return the camera's view reading."""
        cfg = camera.view_check
        if not cfg.enabled:
            with self._lock:
                self._views.pop(camera.id, None)
            return None
        view = self._arm(camera)
        due = view.reference is None or view.reading.checked_at is None or view.samples % cfg.every == 0
        view.samples += 1
        if not due:
            return view.reading
        if view.reference is None:
            self._take_reference(view, image, ts, detections)
        else:
            shift = self._estimator.compare(view.reference.features, self._estimator.features(
                image, detections, size=view.reference.features.size))
            self._update(view, shift, ts)
        return view.reading

    def _arm(self, camera: CameraConfig) -> _CameraView:
        """Return the camera's state for its current zones, loading or starting a reference when they changed."""
        with self._lock:
            view = self._views.get(camera.id)
        if view is not None and view.camera is camera:
            return view
        key = reference_key(camera)
        if view is not None and view.key == key:
            # Same zones (another setting changed): keep the reference and the last answer, new threshold.
            view.camera = camera
            view.reading = replace(view.reading, threshold=camera.view_check.threshold,
                                   moved=_moved(view.reading.shift_ratio, camera.view_check.threshold,
                                                view.reading.moved))
            return view
        ref = self.store.load(camera.id, key)
        if ref is not None:
            log.info("camera view reference loaded", extra={"camera": camera.id, "taken_at": ref.taken_at})
        elif view is not None:
            log.info("camera zones changed: a new view reference will be taken", extra={"camera": camera.id})
        reading = ViewReading(None, None, camera.view_check.threshold, ref.taken_at if ref else None, None)
        view = _CameraView(key, camera, ref, reading)
        with self._lock:
            self._views[camera.id] = view
        return view

    def _take_reference(self, view: _CameraView, image: np.ndarray, ts: float,
                        detections: Iterable[Detections]) -> None:
        features = self._estimator.features(image, detections)
        if len(features) < MIN_REFERENCE_FEATURES:
            log.debug("view too plain for a reference; trying the next sample",
                      extra={"camera": view.camera.id, "features": len(features)})
            return
        ref = Reference(features, ts)
        try:
            path = self.store.save(view.camera.id, view.key, ref)
        except OSError:
            # Still usable in memory; only a restart before the next successful save would lose it.
            log.exception("camera view reference not saved", extra={"camera": view.camera.id})
        else:
            log.info("camera view reference taken",
                     extra={"camera": view.camera.id, "features": len(features), "path": str(path)})
        view.reference = ref
        view.reading = ViewReading(0.0, False, view.camera.view_check.threshold, ts, ts)

    def _update(self, view: _CameraView, shift: ViewShift, ts: float) -> None:
        r = view.reading
        if shift.ratio is None:
            # People hide most of the view: neither moved nor back; the last answer holds.
            log.debug("view check inconclusive", extra={"camera": view.camera.id, "features": shift.features})
            view.reading = replace(r, checked_at=ts)
            return
        moved = _moved(shift.ratio, r.threshold, r.moved)
        if moved != r.moved:
            extra = {"camera": view.camera.id, "shift_ratio": round(shift.ratio, 4), "threshold": r.threshold,
                     "inliers": shift.inliers}
            if moved:
                log.warning("camera view moved: its zones are unknown until it is moved back or they are saved "
                            "again", extra=extra)
            else:
                log.info("camera view back in place", extra=extra)
        view.reading = replace(r, shift_ratio=shift.ratio, moved=moved, checked_at=ts)


def _moved(ratio: float | None, threshold: float, before: bool | None) -> bool | None:
    return before if ratio is None else ratio >= threshold
