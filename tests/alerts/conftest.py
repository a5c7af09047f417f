"""Fixtures of the alert tests: a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """Yield a running receiver; stopped after the test."""
    rx = WebhookReceiver().start()
    try:
        yield rx
    finally:
        rx.stop()
