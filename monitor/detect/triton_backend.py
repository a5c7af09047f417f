"""Triton backend: letterboxed frames go to a Triton Inference Server (KServe v2 HTTP), boxes decoded here in numpy.

The client speaks the KServe v2 inference protocol with its binary-tensor extension over httpx (already a
dependency of the service), so the runtime install needs nothing more; NVIDIA's tritonclient pins versions of
protobuf, greenlet and ml-dtypes that clash with the ONNX/OpenVINO stack of the full install. The same protocol is
served by OpenVINO Model Server and KServe.
"""

from __future__ import annotations

import ast
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import yaml

from ..config import DetectorConfig
from ..redact import redact_url
from .base import BatchCallback
from .exported import ExportedDetector
from .models import ModelError, ResolvedModel, load_registry, model_file
from .yolo_numpy import ModelMeta

log = logging.getLogger(__name__)

_DTYPES = {"FP32": np.float32, "FP16": np.float16, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32}
TIMEOUT_S = 30.0


def split_model_url(url: str) -> tuple[str, str]:
    """Return (server base URL, model name) of 'http://host:8000/yolo11n-pose'.

    >>> split_model_url("http://triton:8000/yolo11n-pose")
    ('http://triton:8000', 'yolo11n-pose')
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"detector.backend 'triton' talks HTTP (KServe v2): use http://host:8000/<model>, "
                         f"not {redact_url(url)!r}")
    name = parts.path.strip("/").split("/")[-1] if parts.path.strip("/") else ""
    if not name:
        raise ValueError(f"{redact_url(url)!r} names no model: use http://host:8000/<model>")
    prefix = parts.path.strip("/").rsplit("/", 1)[0] if "/" in parts.path.strip("/") else ""
    base = f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
    return base, name


def metadata_from_config(config: dict[str, Any]) -> dict[str, Any] | None:
    """Return the Ultralytics metadata a Triton model config carries in parameters.metadata, if any.

    Ultralytics' Triton guide stores the export's metadata there as a string (a Python dict literal or YAML).
    """
    raw = ((config.get("parameters") or {}).get("metadata") or {}).get("string_value")
    if not raw:
        return None
    for parse in (json.loads, ast.literal_eval, yaml.safe_load):
        try:
            value = parse(raw)
        except (ValueError, SyntaxError, yaml.YAMLError):
            continue
        if isinstance(value, dict):
            return value
    raise ValueError("the model config's parameters.metadata is not a mapping")


def metadata_from_registry(name: str) -> dict[str, Any] | None:
    """Return the metadata of the bundled export of the registry model named like the Triton model."""
    from .openvino_backend import openvino_files

    registry = load_registry()
    info = registry.get(name) or registry.get(f"{name}.pt")
    if info is None:
        return None
    export = info if info.export_of else next((i for i in registry.values() if i.export_of == info.name), None)
    if export is None:
        return None
    try:
        _, meta = openvino_files(model_file(export))
    except (FileNotFoundError, ModelError):
        return None
    loaded = yaml.safe_load(meta.read_text(encoding="utf-8")) if meta.is_file() else None
    return loaded if isinstance(loaded, dict) else None


class TritonDetector(ExportedDetector):
    """A YOLO export served by Triton: frames of one size go as one request, Triton batches across processes."""

    def __init__(self, cfg: DetectorConfig, kind: str, model: ResolvedModel, *,
                 on_batch: BatchCallback | None = None) -> None:
        """Read the model's config from the server (inputs, outputs, batch size, metadata)."""
        self.base, self.model_name = split_model_url(model.path)
        self._client = httpx.Client(base_url=self.base, timeout=TIMEOUT_S)
        config = self._get(f"/v2/models/{self.model_name}/config")
        raw = metadata_from_config(config) or metadata_from_registry(self.model_name)
        if raw is None:
            raise ValueError(f"Triton model {self.model_name!r} carries no Ultralytics metadata "
                             f"(parameters.metadata in its config.pbtxt, see deploy/triton/) and no model of that "
                             f"name is in models/models.yaml")
        meta = ModelMeta.parse(raw)
        super().__init__(cfg, kind, model, meta, on_batch=on_batch)
        self.name = self.model_name  # never the URL in logs and metrics
        self.input_name = str(config["input"][0]["name"])
        self.output_name = str(config["output"][0]["name"])
        self.graph_batch = int(config.get("max_batch_size") or 0) or 1
        log.info("triton model ready", extra={"server": redact_url(self.base), "model": self.model_name,
                                              "max_batch_size": self.graph_batch, "task": meta.task})

    def _get(self, path: str) -> dict[str, Any]:
        try:
            r = self._client.get(path)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"Triton server {redact_url(self.base)} unreachable: {type(exc).__name__}") from None
        if r.status_code != 200:
            raise RuntimeError(f"Triton {path} answered {r.status_code}: {r.text[:200]}")
        out: dict[str, Any] = r.json()
        return out

    def _infer(self, blob: np.ndarray) -> np.ndarray:
        """Send one batch as a binary tensor; return the model's first output as an array."""
        header = json.dumps({
            "inputs": [{"name": self.input_name, "shape": list(blob.shape), "datatype": "FP32",
                        "parameters": {"binary_data_size": blob.nbytes}}],
            "outputs": [{"name": self.output_name, "parameters": {"binary_data": True}}],
        }).encode()
        body = header + np.ascontiguousarray(blob, np.float32).tobytes()
        headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))}
        path = f"/v2/models/{self.model_name}/infer"
        for attempt in (1, 2):
            try:
                r = self._client.post(path, content=body, headers=headers)
                break
            except httpx.TransportError as exc:
                if attempt == 2:
                    raise RuntimeError(f"Triton server {redact_url(self.base)} unreachable: "
                                       f"{type(exc).__name__}") from None
                time.sleep(0.5)  # one retry: a server restarting or a dropped keep-alive connection
        if r.status_code != 200:
            raise RuntimeError(f"Triton inference on {self.model_name!r} answered {r.status_code}: {r.text[:300]}")
        return decode_response(r.content, r.headers.get("inference-header-content-length"), self.output_name)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


def decode_response(content: bytes, header_length: str | None, output: str) -> np.ndarray:
    """Return one output tensor of a KServe v2 answer (binary extension or plain JSON data)."""
    size = int(header_length) if header_length else len(content)
    head = json.loads(content[:size])
    offset = size
    for out in head["outputs"]:
        dtype = _DTYPES.get(out["datatype"])
        if dtype is None:
            raise RuntimeError(f"Triton output {out['name']!r} has unsupported datatype {out['datatype']}")
        n = int((out.get("parameters") or {}).get("binary_data_size", 0))
        if out["name"] == output:
            data = (np.frombuffer(content, dtype, count=n // np.dtype(dtype).itemsize, offset=offset) if n
                    else np.asarray(out["data"], dtype))
            return data.reshape(out["shape"]).astype(np.float32, copy=False)
        offset += n
    raise RuntimeError(f"Triton answer has no output {output!r}")

