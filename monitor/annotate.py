"""Render a sampled frame for people: zones and boxes drawn, persons blurred unless raw is explicitly allowed."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from .config import ZoneConfig
from .detect.detections import Detections

_ZONE_COLOURS = {"queue": (0, 200, 255), "service": (0, 220, 0), "staff": (255, 140, 0)}


def blur_regions(image: np.ndarray, boxes: np.ndarray, pad: float = 0.1) -> np.ndarray:
    """Return a copy with every box (x1, y1, x2, y2 px) pixelated beyond recognition."""
    out = image.copy()
    h, w = out.shape[:2]
    for x1, y1, x2, y2 in boxes.astype(float):
        px, py = (x2 - x1) * pad, (y2 - y1) * pad
        a, b = max(int(x1 - px), 0), max(int(y1 - py), 0)
        c, d = min(int(x2 + px), w), min(int(y2 + py), h)
        if c - a < 2 or d - b < 2:
            continue
        roi = out[b:d, a:c]
        # Pixelate to ~8 blocks across: faces become unrecognisable but a person's presence stays visible.
        small = cv2.resize(roi, (max(1, (c - a) // max(1, (c - a) // 8)), max(1, (d - b) // max(1, (c - a) // 8))),
                           interpolation=cv2.INTER_AREA)
        out[b:d, a:c] = cv2.resize(small, (c - a, d - b), interpolation=cv2.INTER_NEAREST)
    return out


def annotate(image: np.ndarray, detections: Iterable[Detections], zones: list[ZoneConfig],
             counts: dict[str, int] | None = None, *, blur: bool = True) -> np.ndarray:
    """Return a copy of the frame with persons blurred (by default), zones outlined and boxes drawn."""
    dets = [d for d in detections if len(d)]
    out = image
    if blur:
        boxes = np.concatenate([d.xyxy for d in dets]) if dets else np.zeros((0, 4), np.float32)
        out = blur_regions(image, boxes)
    else:
        out = image.copy()
    h, w = out.shape[:2]
    for z in zones:
        pts = np.array([[x * w, y * h] for x, y in z.polygon], np.int32)
        colour = _ZONE_COLOURS.get(z.kind, (200, 200, 200))
        cv2.polylines(out, [pts], True, colour, 2, cv2.LINE_AA)
        label = z.id if counts is None or z.id not in counts else f"{z.id}: {counts[z.id]}"
        x, y = int(pts[:, 0].min()) + 4, int(pts[:, 1].min()) + 18
        cv2.putText(out, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.55, colour, 1, cv2.LINE_AA)
    for d in dets:
        colour = (255, 0, 255) if d.kind == "head" else (0, 0, 255)
        for (x1, y1, x2, y2), conf in zip(d.xyxy.astype(int), d.confidence, strict=True):
            cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
            cv2.putText(out, f"{conf:.2f}", (x1, max(y1 - 4, 12)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1)
    return out


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    """Return JPEG bytes of a BGR image."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
