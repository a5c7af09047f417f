"""Estimate how far a camera's view moved: ORB features of the static scene, matched and fitted with RANSAC.

The shift ratio is the mean displacement of the four frame corners under the fitted similarity transform
(shift, rotation, uniform zoom) from the reference view to the current one, divided by the frame diagonal:
0 for an unmoved camera, ``|d| / diagonal`` for a shift by ``d`` pixels, ``sin(angle / 2)`` for a rotation
about the centre, ``|zoom - 1| / 2`` for a zoom about the centre. A view that no longer matches the reference
at all counts as 1.0: re-aimed elsewhere, zoomed by more than about 20%, covered, dark, or turned to a blank
wall (its zones are as wrong, or its people as invisible, as after a move). Persons are masked out on both
sides, so people walking through do not move the estimate, and when they hide most of the view a failed match
means "cannot tell", not "moved". No image is kept, only keypoints and binary descriptors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from ..detect.detections import Detections

WORK_WIDTH = 320
"""Frames are shrunk to this width before features are found: enough for a view check, cheap on a CPU."""

GRID = (8, 4)
PER_CELL = 8
"""Features are kept spread over the frame: at most PER_CELL of the strongest in each cell of a GRID (columns,
rows). Without it they crowd on a few busy spots (a person, a table's foot) and the wall's corners are lost."""

MAX_DETECTED = 500
MIN_FEATURES = 30
"""A view with fewer features than this shows too little structure to match: dark, covered, or turned to a blank
wall. That is a lost view (ratio 1) unless people hide most of it (MIN_USABLE): then the check cannot tell."""

MIN_USABLE = 0.5
"""Share of the frame that must be free of people for a plain view to count as lost rather than hidden."""

MIN_INLIERS = 8
"""A fit needs this many matches that agree; fewer means the view no longer matches the reference. Eight random
matches agreeing on one similarity within RANSAC_PX are practically impossible, so eight real ones are a match."""

RATIO_TEST = 0.9
RANSAC_PX = 2.0
# One scale: the binary descriptors still match across zooms of about +-20% (a bumped or nudged camera); a second
# pyramid level would cost as much as the first. A view zoomed further no longer matches: ratio 1, moved too.
_ORB_LEVELS, _ORB_SCALE = 1, 1.3
# People also darken and occlude the background just around their boxes.
_BOX_MARGIN = 0.1
# A head box stands for a seated person whose body lies below it.
_HEAD_BODY = 3.0


@dataclass(frozen=True)
class ViewFeatures:
    """Keypoints (N, 2) float32 in working pixels and ORB descriptors (N, 32) uint8 of one view."""

    points: np.ndarray
    descriptors: np.ndarray
    size: tuple[int, int]  # (width, height) of the working image
    usable: float = 1.0  # share of the image not masked out over people

    def __len__(self) -> int:
        """Return the number of keypoints."""
        return int(self.points.shape[0])


@dataclass(frozen=True)
class ViewShift:
    """One comparison of a view with its reference.

    ``ratio`` None means the check could not tell (people hide most of the view). ``matrix`` is the 2x3
    similarity from reference to current working pixels, None when there is no fit (ratio 1: no match).
    """

    ratio: float | None
    inliers: int
    features: int
    matrix: np.ndarray | None = None

    @property
    def conclusive(self) -> bool:
        """Return whether the comparison gave a ratio."""
        return self.ratio is not None


def work_size(frame_size: tuple[int, int]) -> tuple[int, int]:
    """Return the working (width, height) of a frame of (width, height) pixels, aspect kept."""
    w, h = frame_size
    return WORK_WIDTH, max(1, round(h * WORK_WIDTH / max(1, w)))


def to_work(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Return the grey working image of a BGR (or grey) frame at ``size``.

    Big frames are first halved towards twice the working size with a bilinear resize (at a factor of two an
    average of 2x2 pixels), then made grey and averaged down: the same result as one area resize of the whole
    frame for a third of its cost on 720p, and without the aliasing of one bilinear step.
    """
    w, h = size
    if image.shape[1] > 2 * w:
        image = cv2.resize(image, (2 * w, 2 * h), interpolation=cv2.INTER_LINEAR)
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def person_mask(size: tuple[int, int], frame_size: tuple[int, int], detections: Iterable[Detections]) -> np.ndarray:
    """Return a uint8 mask of the working image: 255 where background may be used, 0 over people."""
    w, h = size
    mask = np.full((h, w), 255, np.uint8)
    sx, sy = w / max(1, frame_size[0]), h / max(1, frame_size[1])
    for dets in detections:
        for x1, y1, x2, y2 in np.asarray(dets.xyxy, np.float32).reshape(-1, 4):
            bw, bh = x2 - x1, y2 - y1
            if dets.kind == "head":
                y2 = y2 + _HEAD_BODY * bh
            x1, x2 = (x1 - _BOX_MARGIN * bw) * sx, (x2 + _BOX_MARGIN * bw) * sx
            y1, y2 = (y1 - _BOX_MARGIN * bh) * sy, (y2 + _BOX_MARGIN * bh) * sy
            cv2.rectangle(mask, (int(x1), int(y1)), (int(math.ceil(x2)), int(math.ceil(y2))), 0, thickness=-1)
    return mask


class ViewEstimator:
    """Find features of a view and compare two views; one per thread (OpenCV objects are not shared)."""

    def __init__(self) -> None:
        """Create the ORB detector and the Hamming matcher."""
        self._orb = cv2.ORB.create(nfeatures=MAX_DETECTED, scaleFactor=_ORB_SCALE, nlevels=_ORB_LEVELS,
                                   edgeThreshold=15, patchSize=15, fastThreshold=10,
                                   scoreType=cv2.ORB_FAST_SCORE)
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING)

    def features(self, image: np.ndarray, detections: Iterable[Detections] = (),
                 size: tuple[int, int] | None = None) -> ViewFeatures:
        """Return the background features of a BGR frame, people masked out, at ``size`` (default: work_size)."""
        frame_size = (int(image.shape[1]), int(image.shape[0]))
        size = size or work_size(frame_size)
        grey = to_work(image, size)
        mask = person_mask(size, frame_size, detections)
        usable = float(cv2.countNonZero(mask)) / mask.size
        # One pass (the pyramid is built once), then the strongest features of each grid cell are kept.
        keypoints, desc = self._orb.detectAndCompute(grey, mask)
        if desc is None or not keypoints:
            return ViewFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), size, usable)
        points = np.asarray(cv2.KeyPoint.convert(keypoints), np.float32).reshape(-1, 2)
        response = np.fromiter((k.response for k in keypoints), np.float32, len(keypoints))
        keep = spread(points, response, size)
        return ViewFeatures(points[keep], np.ascontiguousarray(desc[keep], np.uint8), size, usable)

    def compare(self, ref: ViewFeatures, cur: ViewFeatures) -> ViewShift:
        """Return how far ``cur`` moved from ``ref`` (both at the same working size)."""
        shift = self._compare(ref, cur)
        if shift.matrix is None and cur.usable < MIN_USABLE:
            # No match, but people hide most of the view: a crowd, not proof of a move.
            return ViewShift(None, shift.inliers, shift.features)
        return shift

    def _compare(self, ref: ViewFeatures, cur: ViewFeatures) -> ViewShift:
        if len(cur) < MIN_FEATURES or len(ref) < 2:
            return ViewShift(1.0, 0, len(cur))
        pairs = self._matcher.knnMatch(cur.descriptors, ref.descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO_TEST * p[1].distance]
        if len(good) < MIN_INLIERS:
            return ViewShift(1.0, len(good), len(cur))
        src = ref.points[[m.trainIdx for m in good]]
        dst = cur.points[[m.queryIdx for m in good]]
        matrix, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                                      ransacReprojThreshold=RANSAC_PX, maxIters=500)
        n = int(inliers.sum()) if inliers is not None else 0
        if matrix is None or n < MIN_INLIERS:
            return ViewShift(1.0, n, len(cur))
        return ViewShift(shift_ratio(matrix, ref.size), n, len(cur), matrix)


def spread(pts: np.ndarray, response: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Return the indices of at most PER_CELL of the strongest points (N, 2) in each GRID cell of the image."""
    cols = np.clip((pts[:, 0] * GRID[0] / size[0]).astype(np.int64), 0, GRID[0] - 1)
    rows = np.clip((pts[:, 1] * GRID[1] / size[1]).astype(np.int64), 0, GRID[1] - 1)
    cell = rows * GRID[0] + cols
    order = np.lexsort((-response, cell))  # by cell, strongest first within a cell
    ranked = cell[order]
    rank = np.arange(len(order)) - np.searchsorted(ranked, ranked, side="left")
    return np.sort(order[rank < PER_CELL])


def shift_ratio(matrix: np.ndarray, size: tuple[int, int]) -> float:
    """Return the mean displacement of the frame corners under a 2x3 transform / frame diagonal, at most 1.

    >>> round(shift_ratio(np.array([[1, 0, 30], [0, 1, 40]], float), (300, 400)), 3)
    0.1
    """
    w, h = size
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    moved = corners @ np.asarray(matrix, np.float64)[:, :2].T + np.asarray(matrix, np.float64)[:, 2]
    return float(min(1.0, np.linalg.norm(moved - corners, axis=1).mean() / math.hypot(w, h)))
