"""Small builders of Detections for zone tests."""

import numpy as np

from monitor.detect.detections import Detections


def dets(boxes, kind="person", size=(100, 100), keypoints=None):
    xyxy = np.asarray(boxes, np.float32).reshape(-1, 4)
    n = len(xyxy)
    kps = None if keypoints is None else np.asarray(keypoints, np.float32).reshape(n, 17, 3)
    return Detections(xyxy, np.full(n, 0.9, np.float32), np.zeros(n, np.int32), size, kind, kps)


def keypoints(**points):
    """Return one person's (17, 3) keypoints; names: nose, leye, reye, lear, rear, lhip, rhip, lankle, rankle."""
    index = {"nose": 0, "leye": 1, "reye": 2, "lear": 3, "rear": 4, "lhip": 11, "rhip": 12, "lankle": 15, "rankle": 16}
    out = np.zeros((17, 3), np.float32)
    for name, (x, y, c) in points.items():
        out[index[name]] = (x, y, c)
    return out
