"""Tiled inference: split large frames into overlapping tiles, detect on all tiles at once, merge by NMS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import TilingConfig
from .base import Detector
from .detections import Detections

#: Pixels within which a box edge counts as lying on a tile's cut edge (model boxes are not pixel exact).
EDGE_MARGIN_PX = 3.0


@dataclass(frozen=True)
class Tile:
    """A rectangle of the frame in pixels: x0, y0 inclusive, x1, y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        """Return the tile width in pixels."""
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        """Return the tile height in pixels."""
        return self.y1 - self.y0


def _spans(length: int, n: int, overlap: float) -> list[tuple[int, int]]:
    """Return n (start, end) spans covering 0..length; neighbours overlap by ``overlap`` of a span."""
    if n <= 1 or length <= 1:
        return [(0, length)]
    # n spans of size s with step s*(1-overlap) end exactly at length: s + (n-1)*s*(1-overlap) = length
    size = length / (1 + (n - 1) * (1 - overlap))
    step = size * (1 - overlap)
    spans = []
    for i in range(n):
        start = int(round(i * step))
        end = length if i == n - 1 else min(length, int(round(i * step + size)))
        spans.append((start, max(end, start + 1)))
    return spans


def tile_grid(width: int, height: int, rows: int, cols: int, overlap: float) -> list[Tile]:
    """Return rows x cols tiles (row-major) that cover a width x height frame with the given overlap.

    >>> [(t.x0, t.x1) for t in tile_grid(1000, 500, 1, 2, 0.25)]
    [(0, 571), (429, 1000)]
    """
    if rows < 1 or cols < 1:
        raise ValueError(f"tiling needs rows, cols >= 1, got {rows}x{cols}")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"tile overlap must be in [0, 1), got {overlap}")
    ys = _spans(height, rows, overlap)
    xs = _spans(width, cols, overlap)
    return [Tile(x0, y0, x1, y1) for (y0, y1) in ys for (x0, x1) in xs]


def _cut_edges(xyxy: np.ndarray, tile: Tile, frame_size: tuple[int, int]) -> np.ndarray:
    """Return a bool per box: True when it touches an edge where the tile was cut out of the frame."""
    w, h = frame_size
    m = EDGE_MARGIN_PX
    cut = np.zeros(len(xyxy), bool)
    if tile.x0 > 0:
        cut |= xyxy[:, 0] <= tile.x0 + m
    if tile.y0 > 0:
        cut |= xyxy[:, 1] <= tile.y0 + m
    if tile.x1 < w:
        cut |= xyxy[:, 2] >= tile.x1 - m
    if tile.y1 < h:
        cut |= xyxy[:, 3] >= tile.y1 - m
    return cut


def _pairwise_overlap(box: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return IoU and intersection-over-smaller-area of one box against many."""
    ix0 = np.maximum(box[0], others[:, 0])
    iy0 = np.maximum(box[1], others[:, 1])
    ix1 = np.minimum(box[2], others[:, 2])
    iy1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    a = max(float((box[2] - box[0]) * (box[3] - box[1])), 0.0)
    b = np.clip(others[:, 2] - others[:, 0], 0, None) * np.clip(others[:, 3] - others[:, 1], 0, None)
    union = a + b - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
    ios = np.where(np.minimum(a, b) > 0, inter / np.maximum(np.minimum(a, b), 1e-9), 0.0)
    return iou, ios


def merge_boxes(xyxy: np.ndarray, confidence: np.ndarray, class_id: np.ndarray, truncated: np.ndarray, *,
                iou: float = 0.5, ios: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """Greedy class-aware NMS for boxes gathered from overlapping tiles; return (kept indices, merged boxes).

    Whole boxes are visited before boxes cut by a tile edge, each group by falling confidence. A box is
    suppressed by a kept box of the same class when their IoU exceeds ``iou`` (plain NMS), or when either of
    the two is truncated and the intersection covers more than ``ios`` of the smaller box: a person cut in
    half by a tile edge overlaps the whole detection from the neighbouring tile by IoU ~0.5 only, but lies
    almost entirely inside it. Two whole, genuinely overlapping people are only merged by the IoU rule, as
    without tiling. A kept truncated box grows to the union of the truncated pieces it absorbs, so a person
    larger than the overlap (cut in every tile) is still one box of about the right size.
    """
    n = len(xyxy)
    boxes = xyxy.astype(np.float32).copy()
    order = np.lexsort((-confidence, truncated.astype(np.int8)))  # primary: whole first; then confidence
    alive = np.ones(n, bool)
    kept: list[int] = []
    for i in order:
        if not alive[i]:
            continue
        alive[i] = False
        kept.append(int(i))
        cand = np.flatnonzero(alive & (class_id == class_id[i]))
        if not len(cand):
            continue
        ov_iou, ov_ios = _pairwise_overlap(boxes[i], boxes[cand])
        lenient = truncated[cand] | truncated[i]
        hit = (ov_iou > iou) | (lenient & (ov_ios > ios))
        gone = cand[hit]
        if truncated[i] and len(gone):
            pieces = boxes[gone[truncated[gone]]]
            if len(pieces):
                boxes[i, :2] = np.minimum(boxes[i, :2], pieces[:, :2].min(axis=0))
                boxes[i, 2:] = np.maximum(boxes[i, 2:], pieces[:, 2:].max(axis=0))
        alive[gone] = False
    idx = np.asarray(kept, np.int64)
    return idx, boxes[idx]


def merge_tiles(parts: list[tuple[Detections, Tile]], frame_size: tuple[int, int], kind: str, *,
                iou: float = 0.5, ios: float = 0.6) -> Detections:
    """Shift each tile's detections into frame coordinates and merge them into one Detections for the frame.

    A part whose tile is the whole frame (optional full-frame pass) has no cut edges, so its boxes count as
    whole.
    """
    xy, conf, cls, trunc, kps = [], [], [], [], []
    with_kps = all(d.keypoints is not None for d, _ in parts if len(d))
    for dets, tile in parts:
        if not len(dets):
            continue
        shift = np.array([tile.x0, tile.y0, tile.x0, tile.y0], np.float32)
        boxes = dets.xyxy.astype(np.float32) + shift
        xy.append(boxes)
        conf.append(dets.confidence.astype(np.float32))
        cls.append(dets.class_id.astype(np.int32))
        trunc.append(_cut_edges(boxes, tile, frame_size))
        if with_kps and dets.keypoints is not None:
            k = dets.keypoints.astype(np.float32).copy()
            k[..., 0] += tile.x0
            k[..., 1] += tile.y0
            kps.append(k)
    if not xy:
        return Detections.empty(frame_size, kind)
    all_xy, all_conf, all_cls = np.concatenate(xy), np.concatenate(conf), np.concatenate(cls)
    keep, boxes = merge_boxes(all_xy, all_conf, all_cls, np.concatenate(trunc), iou=iou, ios=ios)
    keypoints = np.concatenate(kps)[keep] if with_kps and kps else None
    return Detections(boxes.astype(np.float32), all_conf[keep], all_cls[keep], frame_size, kind, keypoints)


class TiledDetector(Detector):
    """Wrap a detector: cut each frame into rows x cols overlapping tiles (optionally plus the whole frame).

    All tiles of all frames of a call go to ``inner.predict`` together (it batches them by its own
    ``max_batch``), so the model sees each small person at a higher resolution. Results are merged per frame
    with ``merge_tiles``, so a person on a tile border is counted once. Timing callbacks come from the inner
    detector, once per real model call. The inner detector stays owned by the caller (it is shared, e.g. by
    the Analyser's untiled cameras), so ``close`` leaves it open.
    """

    def __init__(self, inner: Detector, tiling: TilingConfig, *, full_frame: bool = False, iou: float = 0.5,
                 ios: float = 0.6) -> None:
        """Wrap ``inner`` with the tile layout of ``tiling``; ``full_frame`` also runs the untiled frame."""
        super().__init__(name=f"{inner.name}@{tiling.rows}x{tiling.cols}", kind=inner.kind,
                         max_batch=inner.max_batch, classes=None)
        self.inner = inner
        self.tiling = tiling
        self.full_frame = full_frame
        self.iou = iou
        self.ios = ios

    def used_settings(self) -> dict[str, Any]:
        """Return the inner detector's settings plus the tile layout."""
        return {**self.inner.used_settings(), "tiles": f"{self.tiling.rows}x{self.tiling.cols}",
                "overlap": self.tiling.overlap, "full_frame": self.full_frame}

    def tiles_for(self, width: int, height: int) -> list[Tile]:
        """Return the tiles one frame of this size is cut into (the whole frame last when enabled)."""
        tiles = tile_grid(width, height, self.tiling.rows, self.tiling.cols, self.tiling.overlap)
        if self.full_frame and len(tiles) > 1:
            tiles.append(Tile(0, 0, width, height))
        return tiles

    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        """Detect on every tile of every frame in one inner call, then merge each frame's tiles."""
        crops: list[np.ndarray] = []
        layout: list[list[Tile]] = []
        for frame in frames:
            h, w = frame.shape[:2]
            tiles = self.tiles_for(w, h)
            layout.append(tiles)
            # contiguous copies: some backends reject non-contiguous views of the parent frame
            crops.extend(np.ascontiguousarray(frame[t.y0:t.y1, t.x0:t.x1]) for t in tiles)
        results = self.inner.predict(crops)
        out: list[Detections] = []
        pos = 0
        for frame, tiles in zip(frames, layout, strict=True):
            h, w = frame.shape[:2]
            parts = list(zip(results[pos:pos + len(tiles)], tiles, strict=True))
            pos += len(tiles)
            out.append(merge_tiles(parts, (w, h), self.kind, iou=self.iou, ios=self.ios))
        return out
