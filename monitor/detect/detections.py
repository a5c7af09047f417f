"""One typed container for the detections of one frame; every stage after the model takes this."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# COCO-17 keypoint indices used for anchors.
KP_NOSE, KP_LEYE, KP_REYE, KP_LEAR, KP_REAR = 0, 1, 2, 3, 4
KP_LSHOULDER, KP_RSHOULDER, KP_LHIP, KP_RHIP = 5, 6, 11, 12
KP_LANKLE, KP_RANKLE = 15, 16


@dataclass(frozen=True)
class Detections:
    """Boxes of one frame in pixels.

    xyxy: (N, 4) float32; confidence: (N,) float32; class_id: (N,) int32;
    keypoints: (N, 17, 3) float32 (x, y, visibility/conf) or None; kind: 'person' or 'head'.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    frame_size: tuple[int, int]  # (width, height)
    kind: str = "person"
    keypoints: np.ndarray | None = None

    def __len__(self) -> int:
        """Return the number of detections."""
        return int(self.xyxy.shape[0])

    @classmethod
    def empty(cls, frame_size: tuple[int, int], kind: str = "person") -> Detections:
        """Return a container with no detections."""
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32), frame_size,
                   kind)

    @classmethod
    def from_ultralytics(cls, result: Any, kind: str = "person",
                         classes: tuple[int, ...] = (0,)) -> Detections:
        """Build from one ``ultralytics.engine.results.Results``, keeping only ``classes``."""
        h, w = result.orig_shape[:2]
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return cls.empty((int(w), int(h)), kind)
        xyxy = boxes.xyxy.cpu().numpy().astype(np.float32)
        conf = boxes.conf.cpu().numpy().astype(np.float32)
        cls_id = boxes.cls.cpu().numpy().astype(np.int32)
        kps = None
        if getattr(result, "keypoints", None) is not None and result.keypoints.data is not None:
            kps = result.keypoints.data.cpu().numpy().astype(np.float32)
            if kps.ndim != 3 or kps.shape[0] != xyxy.shape[0]:
                kps = None
            elif kps.shape[2] == 2:
                kps = np.concatenate([kps, np.ones((*kps.shape[:2], 1), np.float32)], axis=2)
        keep = np.isin(cls_id, np.asarray(classes, np.int32))
        return cls(xyxy[keep], conf[keep], cls_id[keep], (int(w), int(h)), kind,
                   kps[keep] if kps is not None else None)

    def select(self, mask: np.ndarray) -> Detections:
        """Return the detections where mask (bool (N,) or index array) selects."""
        return Detections(self.xyxy[mask], self.confidence[mask], self.class_id[mask], self.frame_size,
                          self.kind, self.keypoints[mask] if self.keypoints is not None else None)
