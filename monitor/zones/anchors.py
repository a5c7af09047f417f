"""The point of each detected person that decides which zone it is in (feet, centre, head or hips)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from monitor.detect import detections as kp
from monitor.detect.detections import Detections

AnchorName = Literal["feet", "center", "head", "hips"]
ANCHORS: tuple[AnchorName, ...] = ("feet", "center", "head", "hips")

# Pose models report a confidence per keypoint; below this a keypoint is a guess (often hidden by a desk).
KP_MIN_CONF = 0.3
HEAD_KEYPOINTS = (kp.KP_NOSE, kp.KP_LEYE, kp.KP_REYE, kp.KP_LEAR, kp.KP_REAR)
HIP_KEYPOINTS = (kp.KP_LHIP, kp.KP_RHIP)
# Without face keypoints the head of an upright person sits in the top part of the box; 15% of the box height
# lands on the head for standing and seated people alike.
HEAD_FALLBACK_FRACTION = 0.15


def _mean_visible(kps: np.ndarray, idx: tuple[int, ...], fallback: np.ndarray) -> np.ndarray:
    """Return the mean (x, y) of the listed keypoints above KP_MIN_CONF, or the fallback row where none is."""
    raw = kps[:, list(idx), :]  # (N, K, 3)
    # Compare in the model's own precision: float32(0.3) widened to float64 is a hair above 0.3.
    visible = raw[:, :, 2] > raw.dtype.type(KP_MIN_CONF)
    sel = raw.astype(np.float64)
    n = visible.sum(axis=1)
    sums = (sel[:, :, :2] * visible[:, :, None]).sum(axis=1)
    mean = sums / np.maximum(n, 1)[:, None]
    return np.where((n > 0)[:, None], mean, fallback)


def anchor_points(dets: Detections, anchor: str) -> np.ndarray:
    """Return one (x, y) pixel point per detection, (N, 2) float64.

    feet: bottom centre of the box; center: box centre; head: mean of the visible nose/eye/ear keypoints,
    else a point 15% down from the box top; hips: mid-point of the visible hip keypoints, else the box centre.
    'auto' is not accepted here: ``ZoneConfig.resolved_anchor()`` decides it from the zone.
    """
    if anchor not in ANCHORS:
        raise ValueError(f"unknown anchor {anchor!r}; use one of {', '.join(ANCHORS)} "
                         "(resolve 'auto' with ZoneConfig.resolved_anchor())")
    box = np.asarray(dets.xyxy, dtype=np.float64).reshape(-1, 4)
    cx = (box[:, 0] + box[:, 2]) / 2
    if anchor == "feet":
        return np.stack([cx, box[:, 3]], axis=1)
    center = np.stack([cx, (box[:, 1] + box[:, 3]) / 2], axis=1)
    if anchor == "center":
        return center
    kps = dets.keypoints
    has_kps = kps is not None and kps.ndim == 3 and kps.shape[0] == box.shape[0] and kps.shape[1] >= 17
    if anchor == "head":
        fallback = np.stack([cx, box[:, 1] + HEAD_FALLBACK_FRACTION * (box[:, 3] - box[:, 1])], axis=1)
        return _mean_visible(kps, HEAD_KEYPOINTS, fallback) if has_kps and kps is not None else fallback
    return _mean_visible(kps, HIP_KEYPOINTS, center) if has_kps and kps is not None else center
