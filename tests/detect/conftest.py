"""Shared fixtures of the detect tests: one offline state dir and one loaded pose model per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import DetectorConfig
from monitor.detect.base import Detector


@pytest.fixture(scope="session")
def detect_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a state dir prepared for offline Ultralytics (before anything imports it)."""
    from monitor.detect.env import prepare_ultralytics_env

    state = tmp_path_factory.mktemp("detect-state")
    prepare_ultralytics_env(state)
    return state


@pytest.fixture(scope="session")
def pose_detector(detect_state_dir: Path) -> Detector:
    """Return the bundled yolo11n-pose .pt on Ultralytics, loaded once for the whole session."""
    from monitor.detect import build_detectors

    # The Ultralytics backend on the .pt: the reference the exported backends are compared with.
    return build_detectors(DetectorConfig.model_validate({"backend": "ultralytics"}), {"person"},
                           detect_state_dir)["person"]
