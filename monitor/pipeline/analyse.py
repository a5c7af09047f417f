"""Run the detectors a camera's zones need on a batch of frames and count people per zone."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ..config import CameraConfig, TilingConfig
from ..config.camera import kinds_needed
from ..detect.base import Detector
from ..detect.detections import Detections
from ..zones.assign import count_zones


@dataclass(frozen=True)
class Analysis:
    """What one frame showed: detections per kind and people per zone."""

    detections: dict[str, Detections]
    counts: dict[str, int]

    @property
    def people(self) -> int:
        """Return the number of persons (or heads, if no person model ran) in the whole frame."""
        d = self.detections.get("person") or self.detections.get("head")
        return len(d) if d is not None else 0


class Analyser:
    """Groups frames by the detectors they need, runs each detector once per group, then counts zones."""

    def __init__(self, detectors: dict[str, Detector], tiling: TilingConfig | None = None) -> None:
        self.detectors = detectors
        self.default_tiling = tiling
        self._tiled: dict[tuple[str, TilingConfig], Detector] = {}
        # The inference worker and the API (a still picture of a file camera) share the models; backends are
        # not safe to call from two threads at once.
        self._lock = threading.Lock()

    def _detector(self, kind: str, tiling: TilingConfig | None) -> Detector:
        try:
            base = self.detectors[kind]
        except KeyError:
            raise RuntimeError(f"no {kind!r} detector loaded (set detector.head_model for head zones)") from None
        if tiling is None:
            return base
        key = (kind, tiling)
        if key not in self._tiled:
            from ..detect.tiling import TiledDetector

            self._tiled[key] = TiledDetector(base, tiling)
        return self._tiled[key]

    def analyse(self, items: list[tuple[CameraConfig, np.ndarray]]) -> list[Analysis]:
        """Return one Analysis per (camera, frame), in order (one call at a time)."""
        with self._lock:
            return self._analyse(items)

    def _analyse(self, items: list[tuple[CameraConfig, np.ndarray]]) -> list[Analysis]:
        per_item: list[dict[str, Detections]] = [{} for _ in items]
        groups: dict[tuple[str, TilingConfig | None], list[int]] = {}
        for i, (cam, _) in enumerate(items):
            tiling = cam.tiling or self.default_tiling
            for kind in sorted(kinds_needed(cam)):
                groups.setdefault((kind, tiling), []).append(i)
        for (kind, tiling), idx in groups.items():
            results = self._detector(kind, tiling).predict([items[i][1] for i in idx])
            for i, dets in zip(idx, results, strict=True):
                per_item[i][kind] = dets
        return [Analysis(dets, count_zones(dets, cam.zones)) for (cam, _), dets in zip(items, per_item, strict=True)]
