import numpy as np
import pytest

from monitor.zones.anchors import anchor_points
from tests.zones.helpers import dets, keypoints

BOX = (10, 20, 30, 60)  # centre x 20, top 20, bottom 60, height 40

FACE = keypoints(nose=(22, 25, 0.9), leye=(20, 24, 0.8), reye=(24, 24, 0.2), lear=(0, 0, 0.0))
HIPS = keypoints(lhip=(18, 45, 0.9), rhip=(26, 47, 0.5), nose=(22, 25, 0.1))
ONE_HIP = keypoints(rhip=(26, 47, 0.31))
HIDDEN = keypoints(nose=(22, 25, 0.3), lhip=(18, 45, 0.29))  # at or below the 0.3 threshold: not visible


@pytest.mark.parametrize("anchor, kps, expected", [
    ("feet", None, (20, 60)),
    ("center", None, (20, 40)),
    ("head", None, (20, 26)),      # 15% down from the box top
    ("hips", None, (20, 40)),      # box centre
    ("feet", FACE, (20, 60)),      # keypoints do not move box anchors
    ("center", FACE, (20, 40)),
    ("head", FACE, (21, 24.5)),    # mean of nose and left eye; the right eye is below the threshold
    ("head", HIPS, (20, 26)),      # no visible face keypoint: fallback
    ("hips", HIPS, (22, 46)),
    ("hips", ONE_HIP, (26, 47)),   # one visible hip is enough
    ("hips", FACE, (20, 40)),
    ("head", HIDDEN, (20, 26)),
    ("hips", HIDDEN, (20, 40)),
])
def test_anchor_table(anchor, kps, expected):
    d = dets([BOX], keypoints=None if kps is None else [kps])
    assert anchor_points(d, anchor).tolist() == [list(map(float, expected))]


def test_each_detection_gets_its_own_point():
    d = dets([BOX, (50, 0, 70, 40)], keypoints=[FACE, keypoints()])
    assert anchor_points(d, "head").tolist() == [[21.0, 24.5], [60.0, 6.0]]
    assert anchor_points(d, "feet").tolist() == [[20.0, 60.0], [60.0, 40.0]]


def test_empty_detections():
    for anchor in ("feet", "center", "head", "hips"):
        assert anchor_points(dets([]), anchor).shape == (0, 2)
        assert anchor_points(dets([], keypoints=np.zeros((0, 17, 3))), anchor).shape == (0, 2)


@pytest.mark.parametrize("anchor", ["auto", "knees", ""])
def test_unknown_anchor_is_an_error(anchor):
    with pytest.raises(ValueError, match="anchor"):
        anchor_points(dets([BOX]), anchor)
