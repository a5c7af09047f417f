"""Fixtures of the API tests: the bundled person model, loaded once."""

from __future__ import annotations

import pytest

from monitor.detect.base import Detector
from tests.api.live import load_person_detector


@pytest.fixture(scope="session")
def detectors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Detector]:
    return load_person_detector(tmp_path_factory.mktemp("ultralytics-state"))
