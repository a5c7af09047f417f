"""Detect stage: model registry, offline Ultralytics set-up, detector backends, the detections container."""

from .base import Detector
from .build import build_detectors
from .detections import Detections
from .env import prepare_ultralytics_env
from .models import ModelError, ResolvedModel, resolve_model

__all__ = ["Detections", "Detector", "ModelError", "ResolvedModel", "build_detectors",
           "prepare_ultralytics_env", "resolve_model"]
