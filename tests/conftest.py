"""Shared test set-up: the repository root on sys.path so `tests.support` imports everywhere."""

import sys

from tests.support.paths import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
