"""OpenVINO backend: runs a ``*_openvino_model/`` export on the CPU without torch or Ultralytics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..config import DetectorConfig
from .base import BatchCallback
from .exported import ExportedDetector
from .models import ResolvedModel, resolve_model
from .yolo_numpy import ModelMeta


def openvino_files(path: Path) -> tuple[Path, Path]:
    """Return (model .xml, metadata.yaml) of an export folder or of its .xml file."""
    xml = path if path.suffix == ".xml" else next(iter(sorted(path.glob("*.xml"))), None)
    if xml is None:
        raise FileNotFoundError(f"{path}: no OpenVINO .xml model in this folder")
    return xml, xml.parent / "metadata.yaml"


def read_openvino_meta(path: Path) -> ModelMeta:
    """Read the Ultralytics metadata written beside an OpenVINO export."""
    _, meta = openvino_files(path)
    raw = yaml.safe_load(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
    return ModelMeta.parse(raw or {})


def _device(cfg_device: str) -> str:
    """Map detector.device to an OpenVINO device: cpu -> CPU, intel:gpu -> GPU; CUDA has no OpenVINO plugin."""
    d = cfg_device.lower()
    if d == "cpu":
        return "CPU"
    if d.startswith("intel:"):
        return d.partition(":")[2].upper() or "CPU"
    raise ValueError(f"the openvino backend runs on 'cpu' or 'intel:<device>', not {cfg_device!r}; use "
                     f"backend 'torch' or 'ultralytics' for CUDA")


class OpenVINODetector(ExportedDetector):
    """An OpenVINO IR model compiled for the CPU; the frames of a batch run as parallel single-frame requests."""

    def __init__(self, cfg: DetectorConfig, kind: str, model: ResolvedModel | str | Path, *,
                 on_batch: BatchCallback | None = None) -> None:
        """Read the model, fix its batch to 1 and compile it with one request per CPU stream."""
        from .env import import_openvino_quietly

        import_openvino_quietly()  # a plain import would post OpenVINO usage telemetry and write ~/intel/
        import openvino as ov  # imported here: only configs that choose this backend pay for it

        resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
        path = Path(resolved.path)
        xml, _ = openvino_files(path)
        super().__init__(cfg, kind, resolved, read_openvino_meta(path), on_batch=on_batch)
        core = ov.Core()
        graph = core.read_model(str(xml))
        shape = graph.input().get_partial_shape()
        if shape.rank.get_length() == 4:
            # One frame per request: on a CPU, batching frames in one request is no faster per frame, and
            # every frame of batch costs ~40 MB of intermediate buffers (measured: 195 MB at batch 1, 405 MB
            # at batch 8). Frames of a batch run as parallel requests instead.
            graph.reshape([1, shape[1], shape[2], shape[3]])
        # THROUGHPUT: several single-threaded streams (2 on a 2-core CPU) used ~20 % less CPU per frame than
        # one request spread over every core (LATENCY), at the price of one set of buffers per stream.
        self._compiled: Any = core.compile_model(graph, _device(cfg.device), {"PERFORMANCE_HINT": "THROUGHPUT"})
        self.streams = int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self._queue: Any = ov.AsyncInferQueue(self._compiled, self.streams)

    def _infer(self, blob: np.ndarray) -> np.ndarray:
        """Run the batch's frames as parallel requests; return the outputs stacked in input order."""
        if self._queue is None:
            raise RuntimeError(f"detector {self.name!r} was closed")
        outputs: list[np.ndarray | None] = [None] * len(blob)

        def done(request: Any, index: int) -> None:
            outputs[index] = np.array(request.get_output_tensor(0).data)  # copy: the request is reused

        self._queue.set_callback(done)
        for i in range(len(blob)):
            self._queue.start_async({0: blob[i:i + 1]}, userdata=i)
        self._queue.wait_all()
        if any(o is None for o in outputs):
            raise RuntimeError(f"detector {self.name!r}: an inference request returned nothing")
        return np.concatenate([o for o in outputs if o is not None])

    def close(self) -> None:
        """Release the compiled model."""
        self._queue = None
        self._compiled = None
