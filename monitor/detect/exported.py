"""Base of the torch-free backends: an exported YOLO graph run by its own runtime, pre/post-processing in numpy."""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from pathlib import Path

import numpy as np

from ..config import DetectorConfig
from .base import BatchCallback, Detector
from .detections import Detections
from .models import ResolvedModel
from .yolo_numpy import ModelMeta, fit_shape, make_blob, select, select_end2end, to_detections

log = logging.getLogger(__name__)

_TASKS = ("detect", "pose")


class ExportedDetector(Detector):
    """Runs an ONNX/OpenVINO export of an Ultralytics model without importing torch or Ultralytics.

    Frames are letterboxed like Ultralytics does, the graph runs in batches of up to ``graph_batch`` (a
    static batch-1 export runs frame by frame), and boxes (and pose keypoints) are decoded and
    suppressed in numpy. Subclasses load the runtime and implement ``_infer``.
    """

    def __init__(self, cfg: DetectorConfig, kind: str, model: ResolvedModel, meta: ModelMeta, *,
                 on_batch: BatchCallback | None = None) -> None:
        """Check the model suits ``kind`` and set the input size: the export's own unless it is dynamic."""
        classes = model.classes_for(kind, Path(model.path).name)
        if meta.task not in _TASKS:
            raise ValueError(f"model {Path(model.path).name!r} has task {meta.task!r}; person/head counting "
                             f"needs one of {_TASKS}")
        super().__init__(name=Path(model.path.rstrip("/")).name, kind=kind, max_batch=cfg.max_batch,
                         classes=classes, on_batch=on_batch)
        self.model_ref = model
        self.meta = meta
        self.conf, self.iou = cfg.conf, cfg.iou
        if meta.dynamic:
            self.imgsz: tuple[int, int] = (cfg.imgsz, cfg.imgsz)
        else:
            self.imgsz = meta.imgsz
            if meta.imgsz != (cfg.imgsz, cfg.imgsz):
                # A fixed-size graph cannot take another size; say so instead of failing on every frame.
                log.warning("model %s was exported at %s; detector.imgsz %d is ignored (export again with "
                            "--imgsz %d or --dynamic)", self.name, meta.imgsz, cfg.imgsz, cfg.imgsz)
        self.graph_batch = 0  # most frames per graph call; 0 = any (set by subclasses)
        self.model_seconds = 0.0  # time inside the runtime alone, for the benchmark's bare-model figure
        self.model_frames = 0

    @property
    def names(self) -> dict[int, str]:
        """Return the model's class names by id."""
        return dict(self.meta.names)

    @abstractmethod
    def _infer(self, blob: np.ndarray) -> np.ndarray:
        """Run the graph on an NCHW float32 batch; return its first output, (N, 4+nc+extras, anchors)."""

    def infer(self, blob: np.ndarray) -> np.ndarray:
        """Run the graph on a prepared batch (any size), splitting it for static-batch exports."""
        step = self.graph_batch or len(blob)
        t0 = time.perf_counter()
        parts = [self._infer(blob[i:i + step]) for i in range(0, len(blob), step)]
        self.model_seconds += time.perf_counter() - t0
        self.model_frames += len(blob)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def input_shape(self, frames: list[np.ndarray]) -> tuple[int, int]:
        """Return the (height, width) the graph takes this batch at."""
        return fit_shape(frames, self.imgsz, self.meta.stride, rect=self.meta.dynamic)

    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        """Letterbox, run the graph, decode and suppress; one Detections per frame."""
        if self.meta.dynamic:
            # A dynamic graph takes each size at its own minimum rectangle: frames are grouped by size, so a
            # frame gets the same result in any batch, and 16:9 frames never pay for a square input.
            groups: dict[tuple[int, ...], list[int]] = {}
            for i, f in enumerate(frames):
                groups.setdefault(f.shape[:2], []).append(i)
            parts = list(groups.values())
        else:
            parts = [list(range(len(frames)))]
        results: list[Detections | None] = [None] * len(frames)
        nc = len(self.meta.names)
        for idx in parts:
            sub = [frames[i] for i in idx]
            blob, boxes = make_blob(sub, self.input_shape(sub))
            out = self.infer(blob)
            for i, pred, box in zip(idx, out, boxes, strict=True):
                if self.meta.end2end:
                    rows = select_end2end(pred, conf=self.conf, classes=self.classes)
                else:
                    rows = select(pred, nc=nc, conf=self.conf, iou=self.iou, classes=self.classes)
                results[i] = to_detections(rows, box, self.kind, self.meta.kpt_shape)
        return [r for r in results if r is not None]
