"""Fixtures of the sources tests: short timeouts, real media, a local HTTP camera, a short H.264 clip."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.sources import SourceOptions
from tests.support.http_camera import HttpCamera
from tests.support.paths import CLASSROOM, ONE_BY_ONE

CLASSROOM_JPEG = CLASSROOM / "images" / "PartA_00000.jpg"


@pytest.fixture(scope="session")
def fast() -> SourceOptions:
    """Timeouts short enough for tests, long enough for a busy 2-core machine."""
    return SourceOptions(open_timeout=4.0, read_timeout=3.0, backoff_initial=0.2, backoff_max=1.0,
                         no_frame_timeout=10.0)


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    """A real CCTV JPEG (SCUT-HEAD classroom)."""
    return CLASSROOM_JPEG.read_bytes()


@pytest.fixture(scope="module")
def http_camera(jpeg: bytes) -> Iterator[HttpCamera]:
    cam = HttpCamera(jpeg).start()
    yield cam
    cam.stop()


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 3 s of the shared mp4, stream-copied (keyframes every 1 s), for fast loop tests."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is needed to cut the test clip (apt install ffmpeg)")
    out = tmp_path_factory.mktemp("clip") / "short.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(ONE_BY_ONE), "-t", "3", "-c", "copy", str(out)],
                   check=True, timeout=60)
    return out
