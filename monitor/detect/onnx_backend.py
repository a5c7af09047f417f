"""ONNX Runtime backend: runs a ``.onnx`` export on the CPU (or CUDA) without torch or Ultralytics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..config import DetectorConfig
from .base import BatchCallback
from .exported import ExportedDetector
from .models import ResolvedModel, resolve_model
from .yolo_numpy import ModelMeta


def read_onnx_meta(session: Any) -> ModelMeta:
    """Read the Ultralytics metadata an ONNX export carries in its metadata_props."""
    return ModelMeta.parse(dict(session.get_modelmeta().custom_metadata_map))


def _providers(device: str, available: list[str]) -> list[str]:
    """Return the execution providers for detector.device: CUDA first when asked for and present."""
    d = device.lower()
    if d.startswith("cuda") or d.isdigit():
        if "CUDAExecutionProvider" not in available:
            raise ValueError(f"detector.device {device!r} needs onnxruntime-gpu (CUDAExecutionProvider); "
                             f"this onnxruntime has {', '.join(available)}")
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if d != "cpu":
        raise ValueError(f"the onnxruntime backend runs on 'cpu' or 'cuda', not {device!r}")
    return ["CPUExecutionProvider"]


class ONNXRuntimeDetector(ExportedDetector):
    """An ONNX Runtime session; a fixed-batch export runs frame by frame, a dynamic one in batches."""

    def __init__(self, cfg: DetectorConfig, kind: str, model: ResolvedModel | str | Path, *,
                 on_batch: BatchCallback | None = None) -> None:
        """Open the session and read the model's metadata."""
        import onnxruntime as ort  # imported here: only configs that choose this backend pay for it

        resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # warnings about unused initialisers are noise for a user
        session = ort.InferenceSession(resolved.path, opts,
                                       providers=_providers(cfg.device, ort.get_available_providers()))
        super().__init__(cfg, kind, resolved, read_onnx_meta(session), on_batch=on_batch)
        self._session: Any = session
        self._input = session.get_inputs()[0]
        batch = self._input.shape[0]
        self.graph_batch = batch if isinstance(batch, int) and batch > 0 else 0

    def _infer(self, blob: np.ndarray) -> np.ndarray:
        """Run the session on the batch."""
        if self._session is None:
            raise RuntimeError(f"detector {self.name!r} was closed")
        return np.asarray(self._session.run(None, {self._input.name: blob})[0])

    def close(self) -> None:
        """Release the session."""
        self._session = None
