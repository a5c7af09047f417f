"""Fixtures of the console tests: one Debian chromium per test module, driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import ARGS, CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Launch Debian's chromium (browsers cannot be downloaded here) for the module's tests."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' (playwright)")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run scripts/install-system-deps.sh")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
