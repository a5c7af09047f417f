"""YOLO pre- and post-processing in numpy alone (letterbox, NMS, keypoints), for runtimes that need no torch."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .detections import Detections

PAD_VALUE = 114  # grey of Ultralytics' letterbox: the models were trained with it
MAX_WH = 7680  # per-class box offset of class-aware NMS, as in Ultralytics
MAX_NMS = 30000  # most candidates NMS looks at (by confidence)


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the model input: scale per axis and the padding left/top, in input pixels."""

    gain_x: float
    gain_y: float
    pad_x: int
    pad_y: int
    frame_size: tuple[int, int]  # original (width, height)


@dataclass(frozen=True)
class ModelMeta:
    """What an exported Ultralytics model says about itself (its metadata), with the defaults of a plain export."""

    task: str
    imgsz: tuple[int, int]  # (height, width) the model was exported at
    stride: int
    names: dict[int, str]
    kpt_shape: tuple[int, int] | None
    dynamic: bool
    batch: int
    end2end: bool

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> ModelMeta:
        """Build from the metadata dict (values may be strings, as ONNX stores them)."""
        def value(key: str, default: Any = None) -> Any:
            v = raw.get(key, default)
            if isinstance(v, str) and key in ("imgsz", "names", "kpt_shape", "args", "end2end", "dynamic"):
                try:
                    return ast.literal_eval(v)
                except (ValueError, SyntaxError):
                    return v
            return v

        args = value("args", {}) or {}
        imgsz = value("imgsz", [640, 640])
        if isinstance(imgsz, int):
            imgsz = [imgsz, imgsz]
        kpt = value("kpt_shape")
        names = {int(k): str(v) for k, v in (value("names", {0: "person"}) or {}).items()}
        task = str(raw.get("task") or ("pose" if kpt else "detect"))
        return cls(task=task, imgsz=(int(imgsz[0]), int(imgsz[1])), stride=int(raw.get("stride", 32)),
                   names=names, kpt_shape=(int(kpt[0]), int(kpt[1])) if kpt else None,
                   dynamic=bool(args.get("dynamic", False)), batch=int(raw.get("batch", 1)),
                   end2end=bool(value("end2end", False) or args.get("nms", False)))


def fit_shape(frames: list[np.ndarray], imgsz: tuple[int, int], stride: int, rect: bool) -> tuple[int, int]:
    """Return the (height, width) input for a batch: imgsz, or its smallest stride multiple when ``rect``.

    ``rect`` (models with a dynamic input) is used only when every frame has the same shape, as Ultralytics
    does: a 16:9 frame at 640 then runs at 384x640 instead of 640x640, 40 % less work.
    """
    if not rect or len({f.shape[:2] for f in frames}) != 1:
        return imgsz
    h, w = frames[0].shape[:2]
    r = min(imgsz[0] / h, imgsz[1] / w)
    new_w, new_h = max(round(w * r), 1), max(round(h * r), 1)
    return (new_h + (imgsz[0] - new_h) % stride, new_w + (imgsz[1] - new_w) % stride)


def letterbox(frame: np.ndarray, shape: tuple[int, int], out: np.ndarray | None = None
              ) -> tuple[np.ndarray, Letterbox]:
    """Resize a BGR frame into ``shape`` (h, w) keeping its aspect ratio, centred on grey; return it and how.

    Pixel-for-pixel the same as Ultralytics' ``LetterBox`` (cv2 bilinear, rounding of sides and padding), so
    an exported model sees exactly the input it would see under Ultralytics. ``out`` (h, w, 3) uint8 is
    filled in place when given.
    """
    h, w = frame.shape[:2]
    r = min(shape[0] / h, shape[1] / w)
    new_w, new_h = max(round(w * r), 1), max(round(h * r), 1)
    dw, dh = (shape[1] - new_w) / 2, (shape[0] - new_h) / 2
    top, left = round(dh - 0.1), round(dw - 0.1)
    canvas = out if out is not None else np.empty((shape[0], shape[1], 3), np.uint8)
    canvas[...] = PAD_VALUE
    resized = frame if (new_w, new_h) == (w, h) else cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas[top:top + new_h, left:left + new_w] = resized
    return canvas, Letterbox(new_w / w, new_h / h, left, top, (w, h))


def make_blob(frames: list[np.ndarray], shape: tuple[int, int]) -> tuple[np.ndarray, list[Letterbox]]:
    """Letterbox frames into one float32 NCHW RGB 0..1 batch; return it and each frame's letterbox."""
    hwc = np.empty((len(frames), shape[0], shape[1], 3), np.uint8)
    boxes = [letterbox(f, shape, hwc[i])[1] for i, f in enumerate(frames)]
    # BGR->RGB and HWC->CHW in one strided copy, then scale: cheaper than per-frame cv2.dnn.blobFromImage.
    blob = np.ascontiguousarray(hwc[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32)
    blob *= 1.0 / 255.0
    return blob, boxes


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Greedy non-maximum suppression; return indices kept, by falling score (like torchvision.ops.nms).

    A box is suppressed when its IoU with a kept, higher-scoring box is above ``iou``.
    """
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    areas = (x2 - x1) * (y2 - y1)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = w * h
        union = areas[i] + areas[rest] - inter
        overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[overlap <= iou]
    return np.asarray(keep, np.int64)


def select(pred: np.ndarray, *, nc: int, conf: float, iou: float, classes: tuple[int, ...] | None,
           max_det: int = 300) -> np.ndarray:
    """Filter one image's raw output (C, N) = (4 box xywh + nc scores + extras, anchors) into rows.

    Returns (n, 6 + extras): x1, y1, x2, y2, confidence, class, extras (e.g. 17x3 keypoints), in model input
    pixels: Ultralytics' ``non_max_suppression`` (best class per box, class-aware NMS) without torch.
    """
    scores = pred[4:4 + nc]
    best = scores.max(axis=0) if nc > 1 else scores[0]
    cand = np.flatnonzero(best > conf)
    if not cand.size:
        return np.zeros((0, pred.shape[0] + 2 - nc), np.float32)
    x = pred[:, cand].T  # (n, C)
    cls = x[:, 4:4 + nc].argmax(axis=1) if nc > 1 else np.zeros(len(x), np.int64)
    score = x[np.arange(len(x)), 4 + cls]
    xy, half = x[:, :2], x[:, 2:4] / 2
    rows = np.concatenate([xy - half, xy + half, score[:, None], cls[:, None].astype(np.float32),
                           x[:, 4 + nc:]], axis=1).astype(np.float32, copy=False)
    if classes is not None:
        rows = rows[np.isin(cls, np.asarray(classes))]
    if len(rows) > MAX_NMS:
        rows = rows[np.argsort(-rows[:, 4], kind="stable")[:MAX_NMS]]
    if not len(rows):
        return rows
    keep = nms(rows[:, :4] + rows[:, 5:6] * MAX_WH, rows[:, 4], iou)[:max_det]
    return np.asarray(rows[keep])


def select_end2end(pred: np.ndarray, *, conf: float, classes: tuple[int, ...] | None,
                   max_det: int = 300) -> np.ndarray:
    """Filter one image's end-to-end output (N, 6 + extras), already NMS-free (YOLO26, nms=True exports)."""
    rows = pred[pred[:, 4] > conf]
    if classes is not None:
        rows = rows[np.isin(rows[:, 5].astype(np.int64), np.asarray(classes))]
    return rows[:max_det].astype(np.float32, copy=False)


def to_detections(rows: np.ndarray, box: Letterbox, kind: str, kpt_shape: tuple[int, int] | None) -> Detections:
    """Map rows from model input pixels back to the frame (undo the letterbox, clip) as Detections."""
    w, h = box.frame_size
    if not len(rows):
        return Detections.empty((w, h), kind)
    xyxy = rows[:, :4].copy()
    xyxy[:, [0, 2]] = ((xyxy[:, [0, 2]] - box.pad_x) / box.gain_x).clip(0, w)
    xyxy[:, [1, 3]] = ((xyxy[:, [1, 3]] - box.pad_y) / box.gain_y).clip(0, h)
    kps = None
    if kpt_shape is not None and rows.shape[1] >= 6 + kpt_shape[0] * kpt_shape[1]:
        kps = rows[:, 6:6 + kpt_shape[0] * kpt_shape[1]].reshape(len(rows), *kpt_shape).copy()
        kps[..., 0] = ((kps[..., 0] - box.pad_x) / box.gain_x).clip(0, w)
        kps[..., 1] = ((kps[..., 1] - box.pad_y) / box.gain_y).clip(0, h)
        if kpt_shape[1] == 2:  # no visibility channel: every keypoint counts as seen, as in from_ultralytics
            kps = np.concatenate([kps, np.ones((*kps.shape[:2], 1), np.float32)], axis=2)
    return Detections(xyxy.astype(np.float32), rows[:, 4].astype(np.float32), rows[:, 5].astype(np.int32),
                      (w, h), kind, kps.astype(np.float32) if kps is not None else None)
