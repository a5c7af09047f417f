"""The code stays as `make lint` wants it: ruff clean, and mypy --strict (set in pyproject.toml) clean."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command", [
    [str(BIN / "ruff"), "check", "monitor", "tests", "benchmarks"],
    [str(BIN / "mypy"), "--cache-dir", "/dev/null", "monitor", "benchmarks"],
], ids=["ruff", "mypy-strict"])
def test_lint_is_clean(command: list[str]) -> None:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
