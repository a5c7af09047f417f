"""Render a sampled frame for people: zones and boxes drawn, persons blurred unless raw is explicitly allowed."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from .config import ZoneConfig
from .detect.detections import Detections
from .zones.assign import zone_masks

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


_ROLE_LABELS = {"staff": "officer", "service": "citizen at front", "queue": "citizen waiting"}
_FONT = cv2.FONT_HERSHEY_SIMPLEX


Rect = tuple[int, int, int, int]


def _label_size(text: str, scale: float) -> tuple[int, int, int, int]:
    """Return (box width, box height, padding, thickness) of a label."""
    thickness = max(1, round(scale * 1.6))
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
    pad = max(3, round(4 * scale))
    return tw + 2 * pad, th + base + 2 * pad, pad, thickness


def draw_label(image: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, int, int],
               scale: float = 0.55) -> Rect:
    """Draw text on a filled dark box (readable on any background) with its top-left corner at ``origin``.

    Returns the box drawn (x1, y1, x2, y2), kept inside the image.
    """
    bw, bh, pad, thickness = _label_size(text, scale)
    th = cv2.getTextSize(text, _FONT, scale, thickness)[0][1]
    h, w = image.shape[:2]
    x = min(max(origin[0], 0), max(w - bw, 0))
    y = min(max(origin[1], 0), max(h - bh, 0))
    cv2.rectangle(image, (x, y), (x + bw - 1, y + bh - 1), (32, 32, 32), cv2.FILLED)
    cv2.putText(image, text, (x + pad, y + pad + th), _FONT, scale, colour, thickness,
                cv2.LINE_AA)
    return x, y, x + bw, y + bh


def _free_spot(candidates: list[tuple[int, int]], size: tuple[int, int], taken: list[Rect],
               frame: tuple[int, int]) -> tuple[int, int]:
    """Return the first candidate top-left corner whose label box stays in the frame and covers no taken box."""
    bw, bh = size
    w, h = frame
    for x, y in candidates:
        x, y = min(max(x, 0), max(w - bw, 0)), y
        if y < 0 or y + bh > h:
            continue
        if not any(x < r[2] and r[0] < x + bw and y < r[3] and r[1] < y + bh for r in taken):
            return x, y
    return candidates[0]


def person_roles(dets: Detections, zones: list[ZoneConfig]) -> list[str | None]:
    """Return, per person, the kind of zone that counts them (staff, service, queue), None when none does."""
    masks = zone_masks({"person": dets}, [z for z in zones if z.count_mode == "person"])
    roles: list[str | None] = [None] * len(dets)
    for kind in ("queue", "service", "staff"):  # after the roles rule a person is in one kind at most
        for z in zones:
            if z.kind == kind and z.id in masks:
                for i in np.flatnonzero(masks[z.id]):
                    roles[i] = kind
    return roles


def annotate(image: np.ndarray, detections: Iterable[Detections], zones: list[ZoneConfig],
             counts: dict[str, int] | None = None, *, blur: bool = True) -> np.ndarray:
    """Return a copy of the frame with persons blurred (by default), zones outlined and boxes drawn.

    Person boxes take the colour of the role the zones give them (officer, served, waiting; grey for none), so a
    picture shows the one-person-one-role rule at work.
    """
    dets = [d for d in detections if len(d)]
    out = image
    if blur:
        boxes = np.concatenate([d.xyxy for d in dets]) if dets else np.zeros((0, 4), np.float32)
        out = blur_regions(image, boxes)
    else:
        out = image.copy()
    h, w = out.shape[:2]
    scale = max(1.0, h / 480)  # labels stay readable on HD frames shown scaled down
    thick = round(2 * scale)
    zone_labels: list[tuple[str, tuple[int, int], tuple[int, int, int]]] = []
    taken: list[Rect] = []
    for z in zones:
        pts = np.array([[x * w, y * h] for x, y in z.polygon], np.int32)
        colour = _ZONE_COLOURS.get(z.kind, (200, 200, 200))
        cv2.polylines(out, [pts], True, colour, thick, cv2.LINE_AA)
        label = z.id if counts is None or z.id not in counts else f"{z.id}: {counts[z.id]}"
        at = (int(pts[:, 0].min()) + 3, int(pts[:, 1].min()) + 3)
        bw, bh, _, _ = _label_size(label, 0.6 * scale)
        zone_labels.append((label, at, colour))
        taken.append((at[0], at[1], at[0] + bw, at[1] + bh))
    for d in dets:
        roles = person_roles(d, zones) if d.kind == "person" else [None] * len(d)
        for (x1, y1, x2, y2), conf, role in zip(d.xyxy.astype(int), d.confidence, roles, strict=True):
            colour = (255, 0, 255) if d.kind == "head" else _ZONE_COLOURS.get(role or "", (160, 160, 160))
            cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
            text = f"{_ROLE_LABELS[role]} {conf:.2f}" if role else f"{conf:.2f}"
            bw, bh, _, _ = _label_size(text, 0.5 * scale)
            # Outside the box (above, else below) so the blurred person stays unmarked; never over a zone label.
            spot = _free_spot([(x1, y1 - bh - 1), (x1, y2 + 1), (x1 + thick, y1 + thick), (x1 + thick, y2 - bh)],
                              (bw, bh), taken, (w, h))
            taken.append(draw_label(out, text, spot, colour, 0.5 * scale))
    for label, at, colour in zone_labels:  # last, so no box line crosses them
        draw_label(out, label, at, colour, 0.6 * scale)
    return out


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    """Return JPEG bytes of a BGR image."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
