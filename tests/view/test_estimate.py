"""The view estimator on real frames warped with cv2: known moves come back; people walking do not move it."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from monitor.view.estimate import (
    GRID,
    PER_CELL,
    ViewEstimator,
    person_mask,
    shift_ratio,
    spread,
    to_work,
    work_size,
)
from tests.support.paths import ONE_BY_ONE
from tests.view.frames import CORRIDOR, boxes, expected_ratio, read_frames, warp, warp_matrix

# Times of the shared one-by-one clip: 5 s the empty room; 60, 100 and 125 s someone walks or stands at the table.
EMPTY, WITH_PEOPLE = 5.0, (60.0, 100.0, 125.0)


@pytest.fixture(scope="module")
def frames() -> dict[float, np.ndarray]:
    return read_frames(ONE_BY_ONE, [EMPTY, *WITH_PEOPLE])


@pytest.fixture(scope="module")
def estimator() -> ViewEstimator:
    return ViewEstimator()


@pytest.mark.parametrize(("matrix", "ratio"), [
    (np.array([[1, 0, 0], [0, 1, 0]], float), 0.0),
    (np.array([[1, 0, 30], [0, 1, 40]], float), 50 / math.hypot(400, 300)),  # a shift: |d| / diagonal
    (cv2.getRotationMatrix2D((200, 150), 10, 1.0), math.sin(math.radians(5))),  # about the centre: sin(a/2)
    (cv2.getRotationMatrix2D((200, 150), 0, 1.2), 0.1),  # zoom about the centre: |s - 1| / 2
    (np.array([[1, 0, 5000], [0, 1, 0]], float), 1.0),  # capped
])
def test_shift_ratio_definition(matrix: np.ndarray, ratio: float) -> None:
    assert shift_ratio(matrix, (400, 300)) == pytest.approx(ratio, abs=1e-9)


@pytest.mark.parametrize("size", [(768, 432), (1280, 720)])
@pytest.mark.parametrize("move", [
    {"dx": 0.06}, {"dy": -0.04}, {"angle": 4.0}, {"angle": -8.0}, {"zoom": 1.12}, {"zoom": 0.88},
    {"dx": -0.03, "angle": 3.0, "zoom": 1.08},
], ids=lambda m: ",".join(f"{k}={v}" for k, v in m.items()))
def test_known_moves_are_recovered(frames: dict[float, np.ndarray], estimator: ViewEstimator,
                                   size: tuple[int, int], move: dict[str, float]) -> None:
    ref_frame = cv2.resize(frames[EMPTY], size)
    ref = estimator.features(ref_frame)
    m = warp_matrix(size, **move)
    truth = expected_ratio(size, m)
    for t in WITH_PEOPLE:  # the moved camera also sees people walking
        shift = estimator.compare(ref, estimator.features(warp(cv2.resize(frames[t], size), m)))
        assert shift.matrix is not None, f"no fit at {t}s: {shift}"
        assert shift.ratio == pytest.approx(truth, abs=max(0.004, 0.08 * truth)), f"at {t}s"
        scale = math.hypot(shift.matrix[0, 0], shift.matrix[1, 0])
        angle = -math.degrees(math.atan2(shift.matrix[1, 0], shift.matrix[0, 0]))  # cv2: positive = anticlockwise
        assert scale == pytest.approx(move.get("zoom", 1.0), abs=0.015), f"zoom at {t}s"
        assert angle == pytest.approx(move.get("angle", 0.0), abs=0.5), f"angle at {t}s"
        # The shift in working pixels is the frame's shift scaled down.
        k = ref.size[0] / size[0]
        assert shift.matrix[:, 2] == pytest.approx(m[:, 2] * k, abs=2.0), f"translation at {t}s"


@pytest.mark.parametrize("size", [(768, 432), (1280, 720)])
def test_unmoved_camera_with_people_stays_near_zero(frames: dict[float, np.ndarray], estimator: ViewEstimator,
                                                    size: tuple[int, int]) -> None:
    ref = estimator.features(cv2.resize(frames[EMPTY], size))
    for t in WITH_PEOPLE:
        shift = estimator.compare(ref, estimator.features(cv2.resize(frames[t], size)))
        assert shift.ratio is not None and shift.ratio < 0.004, f"at {t}s: {shift}"
        assert shift.inliers >= 15


def test_masked_people_give_no_features(frames: dict[float, np.ndarray], estimator: ViewEstimator) -> None:
    frame = frames[100.0]
    size = (frame.shape[1], frame.shape[0])
    person = (380.0, 0.0, 530.0, 380.0)  # the woman at the table, checked by eye
    free = estimator.features(frame)
    masked = estimator.features(frame, [boxes(size, person)])
    k = free.size[0] / size[0]
    inside = [(x, y) for x, y in masked.points if person[0] * k <= x <= person[2] * k and y <= person[3] * k]
    assert not inside
    assert any(person[0] * k <= x <= person[2] * k and y <= person[3] * k for x, y in free.points)
    assert masked.usable < 1.0 == free.usable


def test_head_boxes_mask_the_body_below() -> None:
    mask = person_mask((320, 180), (640, 360), [boxes((640, 360), (100, 40, 140, 80), kind="head")])
    # The head (rows 20-40 at work size) and three head heights of body below it (to row 100), plus margins.
    assert mask[30, 60] == 0 and mask[95, 60] == 0
    assert mask[110, 60] == 255 and mask[30, 120] == 255


def test_another_scene_does_not_match(frames: dict[float, np.ndarray], estimator: ViewEstimator) -> None:
    corridor = read_frames(CORRIDOR, [10.0])[10.0]
    ref = estimator.features(frames[EMPTY])
    shift = estimator.compare(ref, estimator.features(corridor, size=ref.size))
    assert shift.ratio == 1.0 and shift.matrix is None


@pytest.mark.parametrize("darken", [0.0, 0.02])
def test_dark_or_covered_view_is_lost(frames: dict[float, np.ndarray], estimator: ViewEstimator,
                                      darken: float) -> None:
    ref = estimator.features(frames[EMPTY])
    dark = (frames[EMPTY].astype(np.float32) * darken).astype(np.uint8)
    assert estimator.compare(ref, estimator.features(dark)).ratio == 1.0


def test_view_hidden_by_people_cannot_tell(frames: dict[float, np.ndarray], estimator: ViewEstimator) -> None:
    frame = frames[EMPTY]
    size = (frame.shape[1], frame.shape[0])
    ref = estimator.features(frame)
    crowd = boxes(size, (0, 0, size[0] * 0.75, size[1]))  # people over three quarters of the picture
    # What is left in view does not match: people hide the rest, so no conclusion (not "moved").
    elsewhere = cv2.resize(read_frames(CORRIDOR, [10.0])[10.0], size)
    shift = estimator.compare(ref, estimator.features(elsewhere, [crowd]))
    assert shift.ratio is None and not shift.conclusive
    # With 40% of the picture free of people, an unmoved camera still matches.
    fewer = boxes(size, (0, 0, size[0] * 0.6, size[1]))
    assert estimator.compare(ref, estimator.features(frame, [fewer])).ratio == pytest.approx(0.0, abs=0.005)


def test_spread_keeps_the_strongest_per_cell() -> None:
    rng = np.random.default_rng(1)
    pts = rng.uniform([0, 0], [320, 180], (500, 2)).astype(np.float32)
    response = rng.uniform(0, 1, 500).astype(np.float32)
    keep = spread(pts, response, (320, 180))
    cells = (pts[:, 1] * GRID[1] // 180).astype(int) * GRID[0] + (pts[:, 0] * GRID[0] // 320).astype(int)
    for c in np.unique(cells):
        mine = np.flatnonzero(cells == c)
        best = set(mine[np.argsort(-response[mine])][:PER_CELL])
        assert set(keep[cells[keep] == c]) == best


@pytest.mark.parametrize(("shape", "size"), [
    ((720, 1280, 3), (320, 180)), ((432, 768, 3), (320, 180)), ((480, 640, 3), (320, 240)),
    ((1080, 1920), (320, 180)), ((120, 160, 3), (320, 240)),
])
def test_working_image(shape: tuple[int, ...], size: tuple[int, int]) -> None:
    image = np.full(shape, 128, np.uint8)
    assert work_size((shape[1], shape[0])) == size
    out = to_work(image, size)
    assert out.shape == (size[1], size[0]) and out.dtype == np.uint8 and int(out.mean()) == 128


@pytest.mark.parametrize("move", [{"dx": 0.3}, {"angle": 30.0}, {"zoom": 1.6}, {"zoom": 0.6}],
                         ids=lambda m: ",".join(f"{k}={v}" for k, v in m.items()))
def test_big_moves_read_as_moved_even_without_a_fit(frames: dict[float, np.ndarray], estimator: ViewEstimator,
                                                    move: dict[str, float]) -> None:
    size = (768, 432)
    ref = estimator.features(frames[EMPTY])
    m = warp_matrix(size, **move)
    for t in WITH_PEOPLE:
        shift = estimator.compare(ref, estimator.features(warp(frames[t], m)))
        # Either measured, or no match at all (1): far above any threshold, never "in place" or "cannot tell".
        assert shift.ratio is not None and shift.ratio >= 0.8 * expected_ratio(size, m), (t, shift)
