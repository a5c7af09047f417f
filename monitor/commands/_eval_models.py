"""The counting functions eval-counts measures: a mode's detectors as the service builds them, and the baseline."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import DetectorConfig, TilingConfig
from ..detect.base import Detector

HEAD_MODEL = "yolo11n-head.pt"
PERSON_MODEL = "yolo11n-pose.pt"
BASELINE_IMGSZ = 640

Counter = Callable[[np.ndarray], int]


def head_model_available() -> bool:
    """Return True when the registered head model is present and intact."""
    from ..detect.models import ModelError, resolve_model

    try:
        resolve_model(HEAD_MODEL)
    except ModelError:
        return False
    return True


def resolve_mode(mode: str) -> str:
    """Turn 'auto' into the best whole-frame mode available: fused when the head model is installed."""
    if mode != "auto":
        return mode
    return "fused" if head_model_available() else "person"


def detector_config(args: argparse.Namespace) -> DetectorConfig:
    """Return the detector settings the flags ask for; ValueError when one is out of range.

    --imgsz/--conf set every model (the head model too, unlike the service's separate head defaults);
    --head-imgsz/--head-conf then set the head model's own. Unset flags keep the service defaults.
    """
    from .count import detector_overrides

    # model_validate: mypy without the pydantic plugin does not see the fields' defaults
    base = DetectorConfig.model_validate({"model": args.model or PERSON_MODEL,
                                          "head_model": args.head_model or HEAD_MODEL, "max_batch": 16})
    return detector_overrides(argparse.Namespace(
        imgsz=args.imgsz, conf=args.conf, device=args.device, head_imgsz=args.head_imgsz,
        head_conf=args.head_conf, model=None), base, "fused")


def _describe(det: Detector) -> str:
    """Return 'name imgsz N conf C' with the settings the detector really runs with."""
    used = det.used_settings()
    text = f"{det.name}, imgsz {used['imgsz']}, conf {used['conf']:g}"
    if "tiles" in used:
        text += f", tiles {used['tiles']} overlap {used['overlap']:g}{' + full frame' if used['full_frame'] else ''}"
    return text


def build_counter(args: argparse.Namespace, mode: str) -> tuple[str, Counter, dict[str, Any]]:
    """Load the detectors of ``mode`` (tiled if asked); return its label, a counting function, the settings used.

    The settings (and the label) are read back from the loaded detectors, so the report shows what ran.
    """
    from ..detect.build import build_detectors
    from .count import mode_kinds

    cfg = detector_config(args)
    dets = build_detectors(cfg, mode_kinds(mode), args.state_dir)
    if args.tiles:
        from ..detect.tiling import TiledDetector

        rows, cols = args.tiles
        dets = {k: TiledDetector(d, TilingConfig(rows=rows, cols=cols, overlap=args.overlap),
                                 full_frame=args.full_frame) for k, d in dets.items()}
    for d in dets.values():
        d.warmup()
    settings: dict[str, Any] = {"mode": mode, "models": {k: {"model": d.name, **d.used_settings()}
                                                         for k, d in sorted(dets.items())}}
    label = f"{mode} ({' + '.join(_describe(d) for _, d in sorted(dets.items()))})"
    if mode == "fused":
        from ..detect.fusion import fuse_people

        person, head = dets["person"], dets["head"]
        return label, lambda img: len(fuse_people(person.predict([img])[0], head.predict([img])[0])), settings
    det = dets[mode]
    return label, lambda img: len(det.predict([img])[0]), settings


def build_baseline(args: argparse.Namespace) -> tuple[str, Counter, dict[str, Any]]:
    """Load the plain-Ultralytics baseline: yolo11n-pose ``predict`` at imgsz 640 with its own defaults."""
    from ultralytics import YOLO

    from ..detect.models import resolve_model

    model: Any = YOLO(resolve_model(PERSON_MODEL).path)

    def count(img: np.ndarray) -> int:
        result = model.predict(img, imgsz=BASELINE_IMGSZ, classes=[0], verbose=False)[0]
        return 0 if result.boxes is None else len(result.boxes)

    count(np.zeros((480, 640, 3), np.uint8))  # warm-up, as for the other modes
    conf = model.predictor.args.conf if model.predictor is not None else None  # what predict really used
    settings = {"mode": "baseline", "models": {"person": {"model": PERSON_MODEL, "imgsz": BASELINE_IMGSZ,
                                                          "conf": conf}}}
    return f"baseline (plain Ultralytics {PERSON_MODEL} predict, imgsz {BASELINE_IMGSZ})", count, settings

