"""Ultralytics YOLO backend: .pt, ONNX, OpenVINO, TensorRT, TorchScript files and Triton URLs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..config import DetectorConfig
from .base import BatchCallback, Detector
from .detections import Detections
from .env import import_openvino_quietly
from .models import ResolvedModel, resolve_model

_TASKS = ("detect", "pose")


def _task_for(model: ResolvedModel, kind: str) -> str | None:
    """Return the Ultralytics task to load with, or None to let Ultralytics read it from the model's metadata.

    Triton serves no metadata, so its task is guessed from the model name like Ultralytics does for files.
    """
    if model.info is not None:
        return model.info.task
    if model.is_url:
        name = model.path.rstrip("/").rsplit("/", 1)[-1]
        return "pose" if kind == "person" and "pose" in name.lower() else "detect"
    return None


def _model_name(model: ResolvedModel) -> str:
    """Return a short label for logs and the inference-time metric (never a full URL with credentials)."""
    if model.info is not None:
        return model.info.name
    return model.path.rstrip("/").rsplit("/", 1)[-1] if model.is_url else Path(model.path).name


def _is_openvino(model: ResolvedModel) -> bool:
    """Return True for an OpenVINO IR model (an ``*_openvino_model/`` folder or an .xml file)."""
    path = Path(model.path)
    return not model.is_url and (path.suffix == ".xml" or (path.is_dir() and any(path.glob("*.xml"))))


def _half_precision_args() -> dict[str, Any]:
    """Return the predict argument for fp16: ``quantize=16`` since Ultralytics 8.4 deprecated ``half``."""
    from ultralytics.cfg import DEFAULT_CFG_DICT

    return {"quantize": 16} if "quantize" in DEFAULT_CFG_DICT else {"half": True}


class UltralyticsDetector(Detector):
    """Runs any model Ultralytics' ``YOLO`` class loads, on CPU or GPU, in batches."""

    def __init__(self, cfg: DetectorConfig, kind: str, model_path: ResolvedModel | str | Path, *,
                 base_dir: Path | None = None, on_batch: BatchCallback | None = None) -> None:
        """Load the model; a name/path is resolved first (and a known model's sha256 verified).

        Call ``prepare_ultralytics_env`` first: this is where ``ultralytics`` is imported.
        """
        if os.environ.get("YOLO_OFFLINE") != "1":
            # Without it Ultralytics probes DNS at import and may download weights or fonts.
            raise RuntimeError("call monitor.detect.env.prepare_ultralytics_env(state_dir) before loading a "
                               "model")
        model = (model_path if isinstance(model_path, ResolvedModel)
                 else resolve_model(model_path, base_dir=base_dir))
        classes = model.classes_for(kind, _model_name(model))
        super().__init__(name=_model_name(model), kind=kind, max_batch=cfg.max_batch, classes=classes,
                         on_batch=on_batch)
        if _is_openvino(model):
            import_openvino_quietly()  # Ultralytics would import it with telemetry on
        from ultralytics import YOLO  # heavy; imported only after the offline environment is set

        self.model_ref = model
        self.task = _task_for(model, kind)
        self._yolo: Any = YOLO(model.path, task=self.task) if self.task else YOLO(model.path)
        if self._yolo.task not in _TASKS:
            raise ValueError(f"model {self.name!r} has task {self._yolo.task!r}; person/head counting needs "
                             f"one of {_TASKS}")
        self.imgsz, self.conf = cfg.imgsz, cfg.conf
        self._args: dict[str, Any] = dict(imgsz=cfg.imgsz, conf=cfg.conf, iou=cfg.iou, device=cfg.device,
                                          verbose=False, classes=list(classes) if classes else None)
        if cfg.half:
            self._args.update(_half_precision_args())

    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        """Run one Ultralytics predict call on the batch and convert each result."""
        if self._yolo is None:
            raise RuntimeError(f"detector {self.name!r} was closed")
        results = self._yolo.predict(list(frames), stream=False, **self._args)
        keep = self.classes if self.classes is not None else tuple(int(k) for k in self._yolo.names)
        return [Detections.from_ultralytics(r, kind=self.kind, classes=keep) for r in results]

    def close(self) -> None:
        """Drop the model so its memory (and GPU memory, on a config reload) can be freed."""
        self._yolo = None
        if str(self._args["device"]).lower() not in ("cpu", "mps"):
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    @property
    def names(self) -> dict[int, str]:
        """Return the model's class names by id."""
        return dict(self._yolo.names)
