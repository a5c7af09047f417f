"""export: convert a bundled model to ONNX or OpenVINO offline, for faster CPU inference or other runtimes."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

NAME = "export"
HELP = "export a bundled model to ONNX or OpenVINO (offline) for detector.model"
DESCRIPTION = """Convert a model from models/models.yaml (or a .pt path) with Ultralytics' exporter, offline:
nothing is downloaded or pip-installed. The result is written to --out as <model>.onnx or
<model>_openvino_model/ and can be used as `detector.model: <that path>`; an existing result is replaced.

Example:
  onestop-monitor export --format openvino --out models/exported
  # config: detector: {model: models/exported/yolo11n-pose_openvino_model/}
Use the same --imgsz as detector.imgsz: the exported graph has a fixed input size unless --dynamic."""

FORMATS = {"onnx": ".onnx", "openvino": "_openvino_model"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("--format", choices=sorted(FORMATS), default="openvino",
                   help="target format (default openvino)")
    p.add_argument("--model", default="yolo11n-pose.pt",
                   help="registry name or .pt path (default yolo11n-pose.pt)")
    p.add_argument("--imgsz", type=int, default=640, help="input size in pixels (default 640)")
    p.add_argument("--half", action="store_true", help="fp16 weights (OpenVINO; ONNX fp16 needs a GPU)")
    p.add_argument("--dynamic", action="store_true", help="dynamic input size and batch")
    p.add_argument("--out", required=True, type=Path, help="folder that receives the exported model")
    p.add_argument("--state-dir", type=Path,
                   help="where Ultralytics keeps its settings (default $XDG_CACHE_HOME/onestop-monitor)")


@contextmanager
def _quiet_ultralytics() -> Iterator[None]:
    """Show only the exporter's warnings: its progress lines name the scratch folder, not the result."""
    logger = logging.getLogger("ultralytics")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            # torch.jit.trace deprecation notices, raised by the OpenVINO converter, are not ours to act on.
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.")
            yield
    finally:
        logger.setLevel(level)


def export_model(source: Path, fmt: str, out_dir: Path, *, imgsz: int = 640, half: bool = False,
                 dynamic: bool = False) -> Path:
    """Export a .pt model to ``fmt`` in ``out_dir``; return the exported file or folder.

    The .pt is copied to a scratch folder first because Ultralytics writes next to its input, which for a
    bundled model is inside site-packages. Call prepare_ultralytics_env before this.
    """
    from ultralytics import YOLO
    from ultralytics.cfg import DEFAULT_CFG_DICT

    from ..detect.env import openvino_telemetry_off

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out_dir) as tmp:
        work = Path(tmp) / source.name
        shutil.copyfile(source, work)
        kwargs: dict[str, Any] = dict(format=fmt, imgsz=imgsz, dynamic=dynamic, verbose=False)
        if half:
            kwargs.update({"quantize": 16} if "quantize" in DEFAULT_CFG_DICT else {"half": True})
        if fmt == "onnx":
            # onnxslim is optional: asking for it when absent would make Ultralytics try a pip install.
            kwargs["simplify"] = importlib.util.find_spec("onnxslim") is not None
        with openvino_telemetry_off(), _quiet_ultralytics():
            produced = YOLO(str(work)).export(**kwargs)
        if not produced:
            raise RuntimeError(f"Ultralytics produced no {fmt} model (see the log above)")
        made = Path(produced)
        target = out_dir / made.name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        shutil.move(str(made), target)
    return target


def run(args: argparse.Namespace) -> int:
    """Export the model and print where it is and how to use it."""
    from ..detect.env import default_state_dir, prepare_ultralytics_env
    from ..detect.models import ModelError, resolve_model, sha256_file, sha256_tree

    prepare_ultralytics_env(args.state_dir or default_state_dir())
    try:
        model = resolve_model(args.model)
    except ModelError as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    source = Path(model.path)
    if model.is_url or not source.is_file() or source.suffix != ".pt":
        print(f"export: {args.model!r} is not a PyTorch .pt model; only .pt models can be exported",
              file=sys.stderr)
        return 2
    try:
        target = export_model(source, args.format, args.out, imgsz=args.imgsz, half=args.half,
                              dynamic=args.dynamic)
    except Exception as exc:  # the exporter raises many kinds; the user needs the message, not a traceback
        print(f"export: {args.format} export of {source.name} failed: {exc}", file=sys.stderr)
        return 1
    digest = sha256_tree(target) if target.is_dir() else sha256_file(target)
    print(f"{target}: {args.format}, imgsz {args.imgsz}{', fp16' if args.half else ''}, sha256 {digest}")
    print(f"use it with:  detector: {{model: {target.resolve()}{'/' if target.is_dir() else ''}, "
          f"imgsz: {args.imgsz}}}")
    return 0
