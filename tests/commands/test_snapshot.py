"""`snapshot` on the demo camera: a real frame, the real model, persons blurred, raw refused by default."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from ultralytics.utils import ASSETS

from tests.support.paths import REPO

pytestmark = pytest.mark.slow


def sharpness(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_snapshot_blurs_persons_and_draws_zones(tmp_path):
    out = tmp_path / "desk.jpg"
    r = subprocess.run([sys.executable, "-m", "monitor", "snapshot", "--config", str(REPO / "configs/demo.yaml"),
                        "--camera", "desk-1-cam", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "2 people" in r.stdout  # zidane.jpg: two men, both found
    img = cv2.imread(str(out))
    raw = cv2.imread(str(ASSETS / "zidane.jpg"))
    assert img.shape == raw.shape
    # The face of the man on the left (checked by eye: about x 480-640, y 200-400) is pixelated beyond recognition.
    face = (slice(200, 400), slice(480, 640))
    assert sharpness(img[face]) < 0.2 * sharpness(raw[face])


def test_snapshot_refuses_raw_unless_config_allows(tmp_path):
    r = subprocess.run([sys.executable, "-m", "monitor", "snapshot", "--config", str(REPO / "configs/demo.yaml"),
                        "--camera", "desk-1-cam", "--raw", str(tmp_path / "raw.jpg")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert "allow_raw_snapshots" in r.stderr
    assert not (tmp_path / "raw.jpg").exists()


def test_snapshot_unknown_camera_lists_known_ones(tmp_path):
    r = subprocess.run([sys.executable, "-m", "monitor", "snapshot", "--config", str(REPO / "configs/demo.yaml"),
                        "--camera", "nope", str(tmp_path / "x.jpg")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert "street-queue" in r.stderr and "desk-1-cam" in r.stderr
