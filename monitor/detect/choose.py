"""Pick the backend that runs a model: the configured one, or with 'auto' the fastest one available."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..config import DetectorConfig
from .models import MODELS_DIR, ModelError, ModelInfo, ResolvedModel, load_registry, resolve_model

log = logging.getLogger(__name__)

#: Sub-folder of the state directory where ``auto`` looks for exports of a .pt model
#: (``onestop-monitor export --format openvino --dynamic --out <state_dir>/exports``).
EXPORTS_SUBDIR = "exports"

# Measured on a 2-core EPYC, yolo11n-pose, 720p frames (see README "Performance"): OpenVINO on a dynamic
# export ~35-40 ms per frame (it letterboxes 16:9 frames to 384x640), PyTorch via Ultralytics ~90 ms,
# ONNX Runtime ~100 ms. So on a CPU an OpenVINO export beats the .pt, and ONNX Runtime is never preferred
# to the .pt it was made from; an .onnx given explicitly still runs on ONNX Runtime (no torch).


@dataclass(frozen=True)
class BackendChoice:
    """Which backend runs which file, and why (logged at start)."""

    backend: str
    model: ResolvedModel
    reason: str


def model_format(model: ResolvedModel) -> str:
    """Return 'url', 'pt', 'openvino', 'onnx' or 'other' (TensorRT, TorchScript...: Ultralytics runs those)."""
    if model.is_url:
        return "url"
    path = Path(model.path)
    if path.suffix == ".pt":
        return "pt"
    if path.suffix == ".onnx":
        return "onnx"
    if path.suffix == ".xml" or (path.is_dir() and any(path.glob("*.xml"))):
        return "openvino"
    return "other"


def is_cuda(device: str) -> bool:
    """Return True for a CUDA device string ('cuda', 'cuda:1', '0', '0,1')."""
    d = device.lower().strip()
    return d.startswith("cuda") or d.replace(",", "").isdigit()


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def exports_dir(state_dir: Path | str) -> Path:
    """Return where ``auto`` looks for exports of .pt models."""
    return Path(state_dir) / EXPORTS_SUBDIR


def _meta(path: Path, fmt: str) -> dict[str, object]:
    """Read an export's Ultralytics metadata cheaply (OpenVINO's sidecar; ONNX's only with onnxruntime)."""
    if fmt == "openvino":
        side = path / "metadata.yaml"
        return (yaml.safe_load(side.read_text(encoding="utf-8")) or {}) if side.is_file() else {}
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return dict(sess.get_modelmeta().custom_metadata_map)


def find_export(model: ResolvedModel, fmt: str, cfg: DetectorConfig, folder: Path) -> tuple[Path | None, str]:
    """Return a usable export of a .pt model in ``folder`` (or None) and what was found.

    Usable: same task, input size fits detector.imgsz (or dynamic), and newer than the .pt (an export older
    than its source was made from another file and is ignored).
    """
    from .yolo_numpy import ModelMeta

    source = Path(model.path)
    path = folder / (f"{source.stem}_openvino_model" if fmt == "openvino" else f"{source.stem}.onnx")
    if not path.exists():
        return None, f"no {path}"
    try:
        meta = ModelMeta.parse(_meta(path, fmt))
    except Exception as exc:  # a broken export must not stop the service: the .pt still works
        return None, f"{path} unreadable ({type(exc).__name__})"
    want_task = model.info.task if model.info else None
    if want_task and meta.task != want_task:
        return None, f"{path} is a {meta.task} model, not {want_task}"
    if not meta.dynamic and meta.imgsz != (cfg.imgsz, cfg.imgsz):
        return None, f"{path} was exported at {meta.imgsz}, detector.imgsz is {cfg.imgsz}"
    if path.stat().st_mtime < source.stat().st_mtime:
        return None, f"{path} is older than {source.name}"
    return path, f"export {path}"


def bundled_export(cfg: DetectorConfig, name: str, *, registry: dict[str, ModelInfo] | None = None,
                   models_dir: Path = MODELS_DIR) -> tuple[BackendChoice | None, str]:
    """Return the OpenVINO export shipped in models/exported/ for a registry .pt model, when it may run.

    It runs with ``backend`` auto (on a CPU) or openvino, when OpenVINO is installed, its files match their
    sha256, it was made from the .pt models.yaml names now (``source_sha256``), it has the same task, and its
    input is dynamic or of size ``imgsz``. The .pt itself need not be installed (the runtime install has no
    .pt). Returns (choice or None, why not).
    """
    if cfg.backend not in ("auto", "openvino") or (cfg.backend == "auto" and is_cuda(cfg.device)):
        return None, ""
    try:
        registry = load_registry() if registry is None else registry
    except ModelError as exc:
        return None, str(exc)
    info = registry.get(name)
    if info is None or info.export_of is not None:
        return None, ""
    export = next((i for i in registry.values() if i.export_of == info.name), None)
    if export is None:
        return None, f"no bundled export of {info.name}"
    if not _installed("openvino"):
        return None, "openvino is not installed"
    return _usable_bundled(cfg, info, export, registry, models_dir)


def _usable_bundled(cfg: DetectorConfig, info: ModelInfo, export: ModelInfo, registry: dict[str, ModelInfo],
                    models_dir: Path) -> tuple[BackendChoice | None, str]:
    fix = f"re-make it with: {export.restore_hint()}"
    if export.source_sha256 != info.sha256:
        return None, (f"bundled export {export.name} was made from another {info.name} (sha256 "
                      f"{export.source_sha256}, models.yaml has {info.sha256}); {fix}")
    try:
        resolved = resolve_model(export.name, registry=registry, models_dir=models_dir)
    except ModelError as exc:
        return None, str(exc)
    from .openvino_backend import read_openvino_meta

    meta = read_openvino_meta(Path(resolved.path))
    if meta.task != info.task:
        return None, f"bundled export {export.name} is a {meta.task} model, not {info.task}; {fix}"
    if not meta.dynamic and meta.imgsz != (cfg.imgsz, cfg.imgsz):
        return None, f"bundled export {export.name} was made at {meta.imgsz}, detector.imgsz is {cfg.imgsz}"
    how = "configured" if cfg.backend == "openvino" else "auto"
    return BackendChoice("openvino", resolved, f"{how}: bundled export of {info.name}"), ""


def _export_hint(fmt: str, folder: Path) -> str:
    return f"onestop-monitor export --format {fmt} --dynamic --out {folder}"


def choose_backend(cfg: DetectorConfig, model: ResolvedModel, state_dir: Path | str) -> BackendChoice:
    """Return the backend for this model and config.

    ``auto``: a URL or TensorRT/TorchScript file -> ultralytics; on CUDA a .pt -> torch (GPU-side pre/post-
    processing); on the CPU an OpenVINO export -> openvino, an .onnx -> onnxruntime, and a .pt -> openvino
    when a usable OpenVINO export of it lies in ``<state_dir>/exports``, else ultralytics. An explicit
    backend is used as asked; a .pt with 'openvino'/'onnxruntime' needs that export, else ValueError.
    """
    fmt, folder = model_format(model), exports_dir(state_dir)
    want = cfg.backend
    if want == "ultralytics":
        return BackendChoice("ultralytics", model, "configured")
    if want == "triton":
        if fmt != "url" or not model.path.lower().startswith(("http://", "https://")):
            raise ValueError("detector.backend 'triton' needs detector.model as a Triton URL, "
                             "http://host:8000/<model name> (see deploy/triton/)")
        return BackendChoice("triton", model, "configured")
    if want == "torch":
        if fmt != "pt":
            raise ValueError(f"detector.backend 'torch' runs .pt models; {model.path} is {fmt}")
        return BackendChoice("torch", model, "configured")
    if want in ("openvino", "onnxruntime"):
        target = "openvino" if want == "openvino" else "onnx"
        if fmt == target:
            return BackendChoice(want, model, "configured")
        if fmt == "pt":
            found, why = find_export(model, target, cfg, folder)
            if found is None:
                raise ValueError(f"detector.backend {want!r} needs an {target} export of {Path(model.path).name} "
                                 f"({why}); make it with: {_export_hint(target, folder)}")
            return BackendChoice(want, resolve_model(found), f"configured, {why}")
        raise ValueError(f"detector.backend {want!r} cannot run {model.path} ({fmt})")
    # auto
    if fmt in ("url", "other"):
        return BackendChoice("ultralytics", model, f"auto: {fmt} model")
    if is_cuda(cfg.device):
        if fmt == "pt":
            return BackendChoice("torch", model, "auto: .pt on CUDA")
        return BackendChoice("ultralytics", model, f"auto: {fmt} on CUDA")
    if fmt == "openvino" and _installed("openvino"):
        return BackendChoice("openvino", model, "auto: OpenVINO export")
    if fmt == "onnx" and _installed("onnxruntime"):
        return BackendChoice("onnxruntime", model, "auto: ONNX export")
    if fmt == "pt" and _installed("openvino"):
        found, why = find_export(model, "openvino", cfg, folder)
        if found is not None:
            return BackendChoice("openvino", resolve_model(found), f"auto: {why}")
        return BackendChoice("ultralytics", model, f"auto: {why}; for ~2x faster CPU inference without torch "
                                                   f"run: {_export_hint('openvino', folder)}")
    return BackendChoice("ultralytics", model, f"auto: {fmt}")
