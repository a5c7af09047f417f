"""Fixtures of the reliability tests: the bundled person model loaded once, a webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.detect.base import Detector
from tests.api.live import load_person_detector
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="session")
def detectors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Detector]:
    return load_person_detector(tmp_path_factory.mktemp("ultralytics-state"))


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx
