"""Build the detectors a config needs: one per kind ('person', and 'head' when a zone counts heads)."""

from __future__ import annotations

import logging
from pathlib import Path

from ..config import DetectorConfig
from ..redact import redact_url
from .base import KINDS, BatchCallback, Detector, backend_class
from .choose import BackendChoice, bundled_export, choose_backend
from .env import prepare_ultralytics_env
from .models import ModelError, resolve_model

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


def choose_for(cfg: DetectorConfig, name: str, state_dir: Path, base_dir: Path | None) -> BackendChoice:
    """Return what runs model ``name``: its bundled OpenVINO export when usable, else ``choose_backend``.

    A registry model is sha256-verified before anything loads; when neither the export nor the .pt can be
    used, the ModelError says why for both.
    """
    bundled, why_not = bundled_export(cfg, name)
    if bundled is not None:
        return bundled
    try:
        model = resolve_model(name, base_dir=base_dir)
    except ModelError as exc:
        raise ModelError(f"{exc}; the bundled export cannot be used either: {why_not}" if why_not else str(exc)
                         ) from None
    if why_not:
        log.warning("the bundled OpenVINO export is not used: %s", why_not)
    return choose_backend(cfg, model, state_dir)


def build_detectors(cfg: DetectorConfig, kinds: set[str], state_dir: Path, *, base_dir: Path | None = None,
                    on_batch: BatchCallback | None = None) -> dict[str, Detector]:
    """Load one detector per kind in ``kinds``; known models are sha256-verified first.

    ``base_dir`` (the config file's folder) is where relative model paths are looked up first. Raises
    ``ModelError`` for a missing/corrupted model and ``ValueError`` for a head zone without a head model.
    """
    prepare_ultralytics_env(state_dir)
    wanted = sorted(kinds)  # stable load order: the same config logs the same sequence
    choices = {kind: choose_for(settings_for(cfg, kind), model_for(cfg, kind), state_dir, base_dir)
               for kind in wanted}
    out: dict[str, Detector] = {}
    for kind in wanted:
        kind_cfg = settings_for(cfg, kind)
        choice = choices[kind]
        log.info("%s model %s runs on %s (%s)", kind, Path(choice.model.path.rstrip("/")).name, choice.backend,
                 choice.reason, extra={"model_file": redact_url(choice.model.path), "sha256": choice.model.sha256})
        cls = backend_class(choice.backend)
        out[kind] = cls(kind_cfg, kind, choice.model, on_batch=on_batch)
    return out
