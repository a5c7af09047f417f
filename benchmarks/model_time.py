"""Bare-model timing: the network alone on prepared input, without decoding, letterbox, NMS or bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.detect.base import Detector


@dataclass(frozen=True)
class ModelTiming:
    """Per-frame cost of the network alone, at one batch size."""

    batch: int
    frames: int
    wall_ms: float  # elapsed per frame
    cpu_ms: float  # process CPU time per frame (all threads of the runtime)
    what: str  # what was timed, e.g. "openvino infer" or "ultralytics inference (includes its pre/post)"


def _bare_call(det: Detector, frames: list[np.ndarray]) -> tuple[Callable[[], Any], str]:
    """Return a zero-argument call that runs only the network on ``frames`` prepared beforehand."""
    from monitor.detect.exported import ExportedDetector

    if isinstance(det, ExportedDetector):
        from monitor.detect.yolo_numpy import make_blob

        blob, _ = make_blob(frames, det.input_shape(frames))
        return (lambda: det.infer(blob)), f"{type(det).__name__} graph call"
    if type(det).__name__ == "TorchDetector":
        batch, _ = det.preprocess(frames)  # type: ignore[attr-defined]
        return (lambda: det.forward(batch)), "torch network forward (synchronised)"  # type: ignore[attr-defined]
    yolo = getattr(det, "_yolo", None)
    if yolo is not None:
        det.predict(frames[:1])  # makes Ultralytics build its predictor
        predictor = yolo.predictor
        import torch

        im = predictor.preprocess(list(frames))

        def call() -> Any:
            with torch.inference_mode():
                return predictor.inference(im)

        return call, "Ultralytics predictor.inference (network only)"
    return (lambda: det._predict_batch(frames)), f"{type(det).__name__}._predict_batch (includes pre/post)"


def time_model(det: Detector, frames: list[np.ndarray], batch: int = 1, min_seconds: float = 3.0,
               min_calls: int = 5) -> ModelTiming:
    """Time the network on batches of ``batch`` of these frames; return wall and CPU milliseconds per frame.

    One warm-up call first, then at least ``min_calls`` calls and ``min_seconds`` seconds.
    """
    batch = max(1, min(batch, len(frames)))
    call, what = _bare_call(det, frames[:batch])
    call()  # warm-up: first-shape compilation and caches do not belong to the steady state
    calls = 0
    w0, c0 = time.perf_counter(), time.process_time()
    while calls < min_calls or time.perf_counter() - w0 < min_seconds:
        call()
        calls += 1
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    n = calls * batch
    return ModelTiming(batch, n, 1000 * wall / n, 1000 * cpu / n, what)
