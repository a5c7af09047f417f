"""Build the detectors a config needs: one per kind ('person', and 'head' when a zone counts heads)."""

from __future__ import annotations

import logging
from pathlib import Path

from ..config import DetectorConfig
from .base import KINDS, BatchCallback, Detector, backend_class
from .choose import choose_backend
from .env import prepare_ultralytics_env
from .models import resolve_model

log = logging.getLogger(__name__)


def model_for(cfg: DetectorConfig, kind: str) -> str:
    """Return the configured model name/path for a kind, or raise if head counting has no head model."""
    if kind == "person":
        return cfg.model
    if kind == "head":
        if not cfg.head_model:
            raise ValueError("head counting (a zone with count_mode 'head', or count/eval-counts --mode head or "
                             "fused) needs a head model, but detector.head_model is not set; set it to a head "
                             "model (see models/README.md) or count persons only")
        return cfg.head_model
    raise ValueError(f"unknown detector kind {kind!r}; known: {', '.join(KINDS)}")


def settings_for(cfg: DetectorConfig, kind: str) -> DetectorConfig:
    """Return the detector settings of one kind: the head model has its own image size and confidence."""
    if kind != "head":
        return cfg
    update = {k: v for k, v in (("imgsz", cfg.head_imgsz), ("conf", cfg.head_conf)) if v is not None}
    return cfg.model_copy(update=update) if update else cfg


def build_detectors(cfg: DetectorConfig, kinds: set[str], state_dir: Path, *, base_dir: Path | None = None,
                    on_batch: BatchCallback | None = None) -> dict[str, Detector]:
    """Load one detector per kind in ``kinds``; known models are sha256-verified first.

    ``base_dir`` (the config file's folder) is where relative model paths are looked up first. Raises
    ``ModelError`` for a missing/corrupted model and ``ValueError`` for a head zone without a head model.
    """
    prepare_ultralytics_env(state_dir)
    wanted = sorted(kinds)  # stable load order: the same config logs the same sequence
    resolved = {kind: resolve_model(model_for(cfg, kind), base_dir=base_dir) for kind in wanted}
    out: dict[str, Detector] = {}
    for kind in wanted:
        kind_cfg = settings_for(cfg, kind)
        choice = choose_backend(kind_cfg, resolved[kind], state_dir)
        log.info("%s model %s runs on %s (%s)", kind, Path(choice.model.path).name, choice.backend, choice.reason)
        cls = backend_class(choice.backend)
        out[kind] = cls(kind_cfg, kind, choice.model, on_batch=on_batch)
    return out
