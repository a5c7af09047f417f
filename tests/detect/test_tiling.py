"""Tiling and merging: tiles cover the frame, a person on a tile border counts once, batching keeps order."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from monitor.config import TilingConfig
from monitor.detect.base import Detector
from monitor.detect.detections import Detections
from monitor.detect.tiling import Tile, TiledDetector, merge_boxes, merge_tiles, tile_grid


class BlobDetector(Detector):
    """Fake model that 'detects' every white rectangle of a crop as one box (class = its grey level - 200).

    It looks only at the pixels it is given, like a real model on a tile: an object cut by a tile edge comes
    back truncated from that tile and whole from the neighbour that contains it.
    """

    def __init__(self, max_batch: int = 64, with_keypoints: bool = False) -> None:
        super().__init__(name="blobs", kind="person", max_batch=max_batch, classes=None)
        self.calls: list[int] = []
        self.with_keypoints = with_keypoints

    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        self.calls.append(len(frames))
        out = []
        for f in frames:
            grey = f[..., 0]
            boxes, classes = [], []
            for level in np.unique(grey[grey >= 200]):
                n, _, stats, _ = cv2.connectedComponentsWithStats((grey == level).astype(np.uint8))
                for x, y, w, h, _area in stats[1:n]:
                    boxes.append([x, y, x + w, y + h])
                    classes.append(int(level) - 200)
            h, w = f.shape[:2]
            if not boxes:
                out.append(Detections.empty((w, h)))
                continue
            xyxy = np.asarray(boxes, np.float32)
            kps = None
            if self.with_keypoints:  # one keypoint per box at its top-left corner, rest zero
                kps = np.zeros((len(xyxy), 17, 3), np.float32)
                kps[:, 0, :2] = xyxy[:, :2]
                kps[:, 0, 2] = 1.0
            out.append(Detections(xyxy, np.full(len(xyxy), 0.9, np.float32), np.asarray(classes, np.int32),
                                  (w, h), "person", kps))
        return out


def frame_with(boxes: list[tuple[int, int, int, int]], size: tuple[int, int] = (1000, 600),
               level: int = 255) -> np.ndarray:
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    for x0, y0, x1, y1 in boxes:
        img[y0:y1, x0:x1] = level
    return img


# --- tile geometry

@pytest.mark.parametrize("w,h,rows,cols,overlap", [
    (1000, 600, 2, 2, 0.2), (1280, 720, 2, 3, 0.25), (1920, 1080, 3, 3, 0.1), (641, 359, 1, 2, 0.0),
    (800, 450, 1, 1, 0.5),
])
def test_tiles_cover_frame_with_requested_overlap(w: int, h: int, rows: int, cols: int,
                                                  overlap: float) -> None:
    tiles = tile_grid(w, h, rows, cols, overlap)
    assert len(tiles) == rows * cols
    covered = np.zeros((h, w), bool)
    for t in tiles:
        assert 0 <= t.x0 < t.x1 <= w and 0 <= t.y0 < t.y1 <= h
        covered[t.y0:t.y1, t.x0:t.x1] = True
    assert covered.all()
    # neighbours in a row share about `overlap` of a tile's width (rounding: 1 px)
    for r in range(rows):
        row = tiles[r * cols:(r + 1) * cols]
        for a, b in zip(row, row[1:], strict=False):
            assert abs((a.x1 - b.x0) - overlap * a.width) <= 1.0
            assert b.y0 == a.y0  # row-major order


def test_single_tile_is_whole_frame() -> None:
    assert tile_grid(640, 480, 1, 1, 0.3) == [Tile(0, 0, 640, 480)]


@pytest.mark.parametrize("rows,cols,overlap", [(0, 2, 0.2), (2, 0, 0.2), (2, 2, 1.0), (2, 2, -0.1)])
def test_bad_grid_is_rejected(rows: int, cols: int, overlap: float) -> None:
    with pytest.raises(ValueError):
        tile_grid(640, 480, rows, cols, overlap)


# --- merging

def test_person_on_tile_border_counted_once_with_full_box() -> None:
    tiles = tile_grid(1000, 600, 1, 2, 0.2)  # tiles [0, 556) and [444, 1000): overlap 444..556
    # straddles the left tile's right edge (556) but lies whole inside the right tile; the left tile's piece
    # (540..556) has IoU 0.27 with the whole box, so plain NMS would count this person twice
    person = (540, 200, 600, 400)
    det = TiledDetector(BlobDetector(), TilingConfig(rows=1, cols=2, overlap=0.2))
    assert det.tiles_for(1000, 600) == tiles
    out = det.predict([frame_with([person])])[0]
    assert len(out) == 1
    np.testing.assert_allclose(out.xyxy[0], person, atol=1)
    assert out.frame_size == (1000, 600)


def test_person_larger_than_overlap_is_one_box_of_union_size() -> None:
    # wider than the 112-px overlap: truncated in both tiles, no tile sees it whole
    person = (400, 100, 640, 500)
    det = TiledDetector(BlobDetector(), TilingConfig(rows=1, cols=2, overlap=0.2))
    out = det.predict([frame_with([person])])[0]
    assert len(out) == 1
    np.testing.assert_allclose(out.xyxy[0], person, atol=1)


def test_person_at_four_tile_corner_counted_once() -> None:
    det = TiledDetector(BlobDetector(), TilingConfig(rows=2, cols=2, overlap=0.2))
    cx, cy = 500, 300  # the centre of the frame lies in all four tiles
    out = det.predict([frame_with([(cx - 30, cy - 40, cx + 30, cy + 40)])])[0]
    assert len(out) == 1


def test_neighbours_near_a_border_stay_separate() -> None:
    # two people side by side, 6 px apart, both near the tile border: must stay two
    people = [(480, 200, 530, 400), (536, 200, 590, 400), (100, 100, 140, 160), (900, 500, 950, 590)]
    det = TiledDetector(BlobDetector(), TilingConfig(rows=2, cols=2, overlap=0.25))
    out = det.predict([frame_with(people)])[0]
    assert len(out) == len(people)


def test_whole_overlapping_boxes_merge_only_by_iou() -> None:
    xyxy = np.array([[0, 0, 100, 100], [50, 0, 150, 100], [10, 10, 90, 90]], np.float32)
    conf = np.array([0.9, 0.8, 0.7], np.float32)
    cls = np.zeros(3, np.int32)
    # whole boxes: IoU(0,1) = 1/3 keeps both; box 2 lies inside box 0 (IoS 1, IoU 0.64) -> suppressed by IoU
    keep, _ = merge_boxes(xyxy, conf, cls, np.zeros(3, bool), iou=0.5)
    assert sorted(keep.tolist()) == [0, 1]
    # with a stricter IoU, box 2 survives: IoS alone never merges two whole boxes
    keep, _ = merge_boxes(xyxy, conf, cls, np.zeros(3, bool), iou=0.7)
    assert sorted(keep.tolist()) == [0, 1, 2]
    # the same box 2 cut by a tile edge is merged into box 0 by the intersection-over-smaller rule
    keep, _ = merge_boxes(xyxy, conf, cls, np.array([False, False, True]), iou=0.7)
    assert sorted(keep.tolist()) == [0, 1]


def test_merge_is_class_aware() -> None:
    xyxy = np.array([[0, 0, 100, 100], [0, 0, 100, 100]], np.float32)
    conf = np.array([0.9, 0.8], np.float32)
    keep, _ = merge_boxes(xyxy, conf, np.array([0, 1], np.int32), np.zeros(2, bool))
    assert len(keep) == 2
    det = TiledDetector(BlobDetector(), TilingConfig(rows=1, cols=2, overlap=0.2))
    frame = frame_with([(520, 200, 580, 400)], level=200)  # class 0
    frame[300:350, 100:150] = 201  # class 1
    out = det.predict([frame])[0]
    assert sorted(out.class_id.tolist()) == [0, 1]


def test_whole_box_wins_over_more_confident_truncated_piece() -> None:
    whole = Detections(np.array([[10, 10, 70, 110]], np.float32), np.array([0.5], np.float32),
                       np.zeros(1, np.int32), (60, 100))
    piece = Detections(np.array([[0, 10, 46, 110]], np.float32), np.array([0.95], np.float32),
                       np.zeros(1, np.int32), (100, 100))
    # the piece ends on the left tile's cut edge at x=100 (after shifting by x0=54: 54..100)
    merged = merge_tiles([(piece, Tile(54, 0, 100, 200)), (whole, Tile(50, 0, 200, 200))], (200, 200), "head")
    assert len(merged) == 1
    np.testing.assert_allclose(merged.xyxy[0], [60, 10, 120, 110])
    assert merged.kind == "head"


def test_empty_tiles_give_empty_frame() -> None:
    det = TiledDetector(BlobDetector(), TilingConfig(rows=2, cols=2, overlap=0.2))
    out = det.predict([frame_with([])])[0]
    assert len(out) == 0 and out.frame_size == (1000, 600)


# --- batching and the optional whole-frame pass

def test_all_tiles_of_all_frames_go_in_one_batch_and_order_is_kept() -> None:
    inner = BlobDetector(max_batch=64)
    det = TiledDetector(inner, TilingConfig(rows=2, cols=2, overlap=0.2))
    frames = [frame_with([(100, 100, 150, 200)] * 1), frame_with([], size=(640, 360)),
              frame_with([(100, 100, 150, 200), (700, 300, 760, 420), (480, 250, 540, 360)])]
    out = det.predict(frames)
    assert inner.calls == [12]
    assert [len(d) for d in out] == [1, 0, 3]
    assert [d.frame_size for d in out] == [(1000, 600), (640, 360), (1000, 600)]


def test_inner_max_batch_still_applies() -> None:
    inner = BlobDetector(max_batch=5)
    det = TiledDetector(inner, TilingConfig(rows=2, cols=2, overlap=0.2))
    det.predict([frame_with([]), frame_with([])])
    assert inner.calls == [5, 3]


def test_full_frame_pass_adds_one_crop_and_no_duplicates() -> None:
    inner = BlobDetector()
    det = TiledDetector(inner, TilingConfig(rows=2, cols=2, overlap=0.2), full_frame=True)
    assert det.tiles_for(1000, 600)[-1] == Tile(0, 0, 1000, 600)
    people = [(520, 200, 580, 400), (100, 100, 160, 220), (300, 260, 380, 340)]
    out = det.predict([frame_with(people)])[0]
    assert inner.calls == [5]
    assert len(out) == len(people)


def test_keypoints_are_shifted_to_frame_coordinates() -> None:
    det = TiledDetector(BlobDetector(with_keypoints=True), TilingConfig(rows=1, cols=2, overlap=0.2))
    out = det.predict([frame_with([(800, 100, 850, 200)])])[0]
    assert out.keypoints is not None and out.keypoints.shape == (1, 17, 3)
    np.testing.assert_allclose(out.keypoints[0, 0, :2], [800, 100], atol=1)


def test_wrapper_takes_the_inner_kind_and_name() -> None:
    inner = BlobDetector()
    det = TiledDetector(inner, TilingConfig(rows=2, cols=3, overlap=0.1))
    assert det.kind == "person" and det.name == "blobs@2x3"
