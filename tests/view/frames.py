"""Real frames of the shared footage for the view check tests, and cv2 warps with their known shift ratio."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from monitor.detect.detections import Detections
from tests.support.paths import SHARED_DATA

CORRIDOR = SHARED_DATA / "wisenet_corridor" / "wisenet_clip3.avi"


def read_frames(path: Path, seconds: list[float]) -> dict[float, np.ndarray]:
    """Return the frames of a video at these times (BGR), failing the test when the file is missing."""
    if not path.is_file():
        pytest.fail(f"shared footage missing: {path}")
    cap = cv2.VideoCapture(str(path))
    out = {}
    try:
        for t in seconds:
            cap.set(cv2.CAP_PROP_POS_MSEC, t * 1000)
            ok, frame = cap.read()
            assert ok, f"no frame at {t}s in {path}"
            out[t] = frame
    finally:
        cap.release()
    return out


def warp_matrix(size: tuple[int, int], dx: float = 0.0, dy: float = 0.0, angle: float = 0.0,
                zoom: float = 1.0) -> np.ndarray:
    """Return the 2x3 similarity: rotate by ``angle`` degrees and zoom about the centre, then shift (fractions)."""
    w, h = size
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    m[0, 2] += dx * w
    m[1, 2] += dy * h
    return m


def warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Return the frame as a camera moved by ``matrix`` sees it (black where it sees nothing known)."""
    return cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]))


def expected_ratio(size: tuple[int, int], matrix: np.ndarray) -> float:
    """Return the mean corner displacement / diagonal of a 2x3 matrix, computed apart from monitor's code."""
    w, h = size
    total = 0.0
    for x, y in ((0, 0), (w, 0), (w, h), (0, h)):
        nx = matrix[0, 0] * x + matrix[0, 1] * y + matrix[0, 2]
        ny = matrix[1, 0] * x + matrix[1, 1] * y + matrix[1, 2]
        total += math.hypot(nx - x, ny - y)
    return total / 4 / math.hypot(w, h)


def boxes(frame_size: tuple[int, int], *xyxy: tuple[float, float, float, float],
          kind: str = "person") -> Detections:
    """Return detections with these boxes (pixels)."""
    arr = np.array(xyxy, np.float32).reshape(-1, 4)
    n = len(arr)
    return Detections(arr, np.full(n, 0.9, np.float32), np.zeros(n, np.int32), frame_size, kind)
