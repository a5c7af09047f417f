"""Abstract detector: one ``predict(frames)`` call; the base owns batching, timing and class filtering."""

from __future__ import annotations

import importlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np

from .detections import Detections
from .heads import dedupe_heads

if TYPE_CHECKING:
    from ..config import DetectorConfig
    from .models import ResolvedModel

#: Called after every model call with (detector name, seconds, frames in the batch); the pipeline feeds the
#: ``onestop_inference_seconds`` histogram from it.
BatchCallback = Callable[[str, float, int], None]

KINDS = ("person", "head")

#: Backend type -> "module:Class". Read-only and resolved lazily so that importing this module never imports a
#: heavy framework (Ultralytics must only be imported after ``prepare_ultralytics_env``).
BACKENDS: Mapping[str, str] = MappingProxyType({
    "ultralytics": "monitor.detect.ultralytics_backend:UltralyticsDetector",
    "openvino": "monitor.detect.openvino_backend:OpenVINODetector",
    "onnxruntime": "monitor.detect.onnx_backend:ONNXRuntimeDetector",
    "torch": "monitor.detect.torch_gpu:TorchDetector",
    "triton": "monitor.detect.triton_backend:TritonDetector",
})


class BackendFactory(Protocol):
    """How ``build_detectors`` constructs a registered backend: ``cls(cfg, kind, model, on_batch=...)``."""

    def __call__(self, cfg: DetectorConfig, kind: str, model: ResolvedModel, *,
                 on_batch: BatchCallback | None = None) -> Detector:
        """Load ``model`` as a detector of ``kind`` with the settings of ``cfg``."""
        ...


class Detector(ABC):
    """A model that finds people (or heads) in BGR frames.

    Subclasses implement ``_predict_batch`` for at most ``max_batch`` frames; callers use ``predict`` with any
    number of frames of any sizes and get one ``Detections`` per frame, in order.
    """

    def __init__(self, *, name: str, kind: str, max_batch: int = 8, classes: Sequence[int] | None = (0,),
                 on_batch: BatchCallback | None = None) -> None:
        """Set the identity and the batching/filtering rules shared by all backends.

        ``classes``: class ids kept in the output (None keeps every class, e.g. a one-class head model).
        """
        if kind not in KINDS:
            raise ValueError(f"detector kind must be one of {KINDS}, got {kind!r}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self.name = name
        self.kind = kind
        self.max_batch = int(max_batch)
        self.classes: tuple[int, ...] | None = tuple(int(c) for c in classes) if classes is not None else None
        self.on_batch = on_batch
        self.last_batch_seconds: float | None = None
        self.last_batch_size = 0
        self.batches = 0

    @abstractmethod
    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        """Run the model on 1..max_batch frames; return one Detections per frame, in order."""

    def predict(self, frames: list[np.ndarray]) -> list[Detections]:
        """Detect in every frame; chunks of ``max_batch`` go to the model, results keep the input order."""
        out: list[Detections] = []
        for start in range(0, len(frames), self.max_batch):
            chunk = frames[start:start + self.max_batch]
            t0 = time.perf_counter()
            dets = self._predict_batch(chunk)
            seconds = time.perf_counter() - t0
            if len(dets) != len(chunk):
                raise RuntimeError(f"{type(self).__name__} returned {len(dets)} results "
                                   f"for {len(chunk)} frames")
            self.last_batch_seconds = seconds
            self.last_batch_size = len(chunk)
            self.batches += 1
            if self.on_batch is not None:
                self.on_batch(self.name, seconds, len(chunk))
            out.extend(self._filter(d) for d in dets)
        return out

    def _filter(self, dets: Detections) -> Detections:
        """Keep only the configured classes, stamp this detector's kind, drop duplicate boxes of one head."""
        if self.classes is not None and len(dets):
            keep = np.isin(dets.class_id, np.asarray(self.classes, np.int32))
            if not keep.all():
                dets = dets.select(keep)
        if dets.kind != self.kind:
            dets = Detections(dets.xyxy, dets.confidence, dets.class_id, dets.frame_size, self.kind,
                              dets.keypoints)
        if self.kind == "head":
            # Every head backend and head zone gets it: head models put nested boxes on one close-up head.
            dets = dedupe_heads(dets)
        return dets

    def used_settings(self) -> dict[str, Any]:
        """Return the inference size and confidence this detector really applies (for reports).

        Backends keep them as ``imgsz`` (int, or (h, w) for exports with a fixed input) and ``conf``.
        """
        imgsz = getattr(self, "imgsz", None)
        if isinstance(imgsz, tuple) and len(imgsz) == 2 and imgsz[0] == imgsz[1]:
            imgsz = imgsz[0]
        return {"imgsz": imgsz, "conf": getattr(self, "conf", None)}

    def warmup(self, size: tuple[int, int] = (640, 480)) -> None:
        """Run one black frame through the model so the first real sample is not slowed by lazy set-up."""
        w, h = size
        # Straight to the backend: a warm-up is not a sample and must not reach the inference-time metric.
        self._predict_batch([np.zeros((h, w, 3), np.uint8)])

    def close(self) -> None:  # noqa: B027 - optional hook; most backends hold nothing to release
        """Release the model's resources (default: nothing to release)."""

    def __repr__(self) -> str:
        """Show the backend, model name and kind."""
        return f"{type(self).__name__}(name={self.name!r}, kind={self.kind!r}, max_batch={self.max_batch})"


def backend_class(backend: str) -> BackendFactory:
    """Return the Detector class registered for ``backend`` (imports its module on first use)."""
    try:
        target = BACKENDS[backend]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ValueError(f"unknown detector backend {backend!r}; known: {known}") from None
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # The runtime install (scripts/install.sh --runtime) has no torch/Ultralytics: say which install runs this.
        raise RuntimeError(f"detector backend {backend!r} needs the Python package {exc.name!r}, which this "
                           f"install lacks; the runtime install runs the OpenVINO exports only (backend auto or "
                           f"openvino), the full install (scripts/install.sh) runs every backend") from None
    cls = getattr(module, attr)
    if not (isinstance(cls, type) and issubclass(cls, Detector)):
        raise TypeError(f"{target} is not a Detector subclass")
    return cast(BackendFactory, cls)
