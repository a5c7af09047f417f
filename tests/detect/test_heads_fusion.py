"""Duplicate head boxes and the person+head fusion: pure functions on hand-made detections."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.config import TilingConfig
from monitor.detect.base import Detector
from monitor.detect.detections import KP_LEAR, KP_LEYE, KP_NOSE, KP_REAR, KP_REYE, Detections
from monitor.detect.fusion import fuse_people, match_scores
from monitor.detect.heads import dedupe_heads
from monitor.detect.tiling import TiledDetector

Box = tuple[float, float, float, float]
SIZE = (1280, 720)


def dets(boxes: list[Box], kind: str = "head", conf: list[float] | None = None,
         keypoints: np.ndarray | None = None) -> Detections:
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    c = np.asarray(conf if conf is not None else [0.9] * len(b), np.float32)
    return Detections(b, c, np.zeros(len(b), np.int32), SIZE, kind, keypoints)


def face(points: dict[int, tuple[float, float]], n_kp: int = 17) -> np.ndarray:
    """Return one person's (17, 3) keypoints with the given visible ones."""
    kp = np.zeros((n_kp, 3), np.float32)
    for i, (x, y) in points.items():
        kp[i] = (x, y, 0.9)
    return kp


# --- duplicate head boxes

# The head model's boxes on Ancelotti's head in zidane.jpg at 960 px (before de-duplication): whole head, hair,
# face. Plain NMS at IoU 0.6 keeps all three (IoU 0.51-0.57).
ANCELOTTI = [(893, 39, 1068, 297), (929, 54, 1078, 247), (905, 122, 1041, 291)]


def test_nested_boxes_on_one_close_up_head_become_one() -> None:
    d = dedupe_heads(dets(ANCELOTTI + [(479, 200, 666, 449)], conf=[0.83, 0.52, 0.35, 0.87]))
    assert d.xyxy.tolist() == [[893, 39, 1068, 297], [479, 200, 666, 449]]  # the most confident box stays
    assert d.confidence.tolist() == pytest.approx([0.83, 0.87])


def test_the_most_confident_of_nested_boxes_wins_whatever_its_size() -> None:
    d = dedupe_heads(dets(ANCELOTTI, conf=[0.4, 0.3, 0.8]))
    assert d.xyxy.tolist() == [[905, 122, 1041, 291]]


@pytest.mark.parametrize("boxes", [
    # a row of CCTV heads that touch and overlap a little (IoU up to ~0.3)
    [(100, 100, 130, 135), (122, 102, 152, 137), (145, 99, 175, 134), (168, 101, 198, 136)],
    # a far head seen past a near one: deep inside its box but a tenth of its size
    [(300, 100, 500, 350), (380, 120, 440, 190)],
    # two heads one behind the other, half hidden (IoU 0.4, 60% inside)
    [(600, 100, 660, 170), (624, 110, 684, 180)],
])
def test_distinct_heads_are_kept(boxes: list[Box]) -> None:
    assert len(dedupe_heads(dets(boxes))) == len(boxes)


def test_dedupe_of_nothing_or_one() -> None:
    assert len(dedupe_heads(Detections.empty(SIZE, "head"))) == 0
    assert len(dedupe_heads(dets([(0, 0, 10, 10)]))) == 1


class Fixed(Detector):
    """Returns the same boxes for every frame."""

    def __init__(self, kind: str, boxes: list[Box], scores: list[float]) -> None:
        super().__init__(name=f"fixed-{kind}", kind=kind, classes=None)
        self.boxes, self.scores = boxes, scores
        self.imgsz, self.conf = 960, 0.3  # what used_settings() reports

    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        return [Detections(np.asarray(self.boxes, np.float32), np.asarray(self.scores, np.float32),
                           np.zeros(len(self.boxes), np.int32), (f.shape[1], f.shape[0]), self.kind)
                for f in frames]


def test_every_head_detector_dedupes_and_person_detectors_do_not() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    head = Fixed("head", ANCELOTTI, [0.83, 0.52, 0.35])
    person = Fixed("person", ANCELOTTI, [0.83, 0.52, 0.35])  # nested person boxes are two people (a child held)
    assert len(head.predict([frame])[0]) == 1
    assert len(person.predict([frame])[0]) == 3
    tiled = TiledDetector(Fixed("head", ANCELOTTI, [0.83, 0.52, 0.35]), TilingConfig(rows=1, cols=1, overlap=0.2))
    assert len(tiled.predict([frame])[0]) == 1
    assert head.used_settings() == {"imgsz": 960, "conf": 0.3}
    assert tiled.used_settings() == {"imgsz": 960, "conf": 0.3, "tiles": "1x1", "overlap": 0.2, "full_frame": False}


# --- fusion: a head inside a person box is one person

STANDING = (100, 50, 220, 600)
OWN_HEAD = (125, 55, 185, 130)
SEATED_HEAD = (400, 300, 440, 345)


def test_person_with_their_head_plus_a_missed_seated_person() -> None:
    kp = face({KP_NOSE: (155, 100), KP_LEYE: (145, 90), KP_REYE: (165, 90)})[None]
    fused = fuse_people(dets([STANDING], "person", keypoints=kp), dets([OWN_HEAD, SEATED_HEAD]))
    assert len(fused) == 2
    assert fused.head_of_person.tolist() == [0]
    assert fused.heads.xyxy.tolist() == [list(SEATED_HEAD)]


def test_face_keypoints_pick_the_right_head_when_heads_crowd_a_box() -> None:
    # A wide box (arm stretched out, as Zidane's) holds its own head and a neighbour's: keypoints decide.
    wide = (100, 200, 1000, 700)
    neighbour = (150, 210, 230, 300)
    own = (480, 200, 660, 450)
    kp = face({KP_NOSE: (600, 330), KP_LEYE: (590, 300), KP_REAR: (520, 310)})[None]
    fused = fuse_people(dets([wide], "person", keypoints=kp), dets([neighbour, own]))
    assert fused.head_of_person.tolist() == [1]
    assert len(fused) == 2  # the neighbour is someone else


def test_a_person_seen_from_behind_is_matched_by_geometry() -> None:
    # No visible face keypoints: a head in the top part of the box is theirs, one lower down (on the chest) is not.
    back = face({})[None]
    fused = fuse_people(dets([STANDING], "person", keypoints=back), dets([OWN_HEAD]))
    assert len(fused) == 1
    low = (120, 300, 180, 360)  # inside the box, but at chest height
    assert match_scores(dets([STANDING], "person", keypoints=back), dets([low])).tolist() == [[0.0]]


def test_person_models_without_keypoints_use_geometry() -> None:
    fused = fuse_people(dets([STANDING], "person"), dets([OWN_HEAD]))
    assert len(fused) == 1 and fused.head_of_person.tolist() == [0]


def test_one_head_per_person_and_one_person_per_head() -> None:
    # Two overlapping people (one behind the other) and one detected head: one is explained, the other counts
    # alone; two heads in one person's top part: one is theirs, the other is another person.
    a, b = (100, 50, 220, 600), (150, 60, 260, 600)
    fused = fuse_people(dets([a, b], "person"), dets([(150, 60, 200, 120)]))
    assert len(fused) == 2 and sorted(fused.head_of_person.tolist()) == [-1, 0]
    fused = fuse_people(dets([STANDING], "person"), dets([(110, 55, 160, 110), (165, 60, 215, 115)]))
    assert len(fused) == 2


@pytest.mark.parametrize("n_persons,n_heads,expected", [(0, 0, 0), (3, 0, 3), (0, 4, 4)])
def test_fusion_with_one_side_empty(n_persons: int, n_heads: int, expected: int) -> None:
    persons = dets([(i * 200, 0, i * 200 + 100, 400) for i in range(n_persons)], "person")
    heads = dets([(i * 50, 500, i * 50 + 30, 530) for i in range(n_heads)])
    assert len(fuse_people(persons, heads)) == expected


def test_keypoints_below_visibility_are_not_evidence() -> None:
    kp = face({KP_NOSE: (155, 100)})[None]
    kp[0, KP_NOSE, 2] = 0.2  # an unsure nose: the person counts as seen from behind, geometry decides
    kp[0, KP_LEAR] = (0, 0, 0.1)
    assert match_scores(dets([STANDING], "person", keypoints=kp), dets([OWN_HEAD])).tolist() == \
        [[pytest.approx(1.0)]]  # all of the head is inside the box, in its top part
    kp2 = face({KP_REYE: (900, 900)})[None]  # a visible eye elsewhere: keypoints rule, this head is not theirs
    assert match_scores(dets([STANDING], "person", keypoints=kp2), dets([OWN_HEAD])).tolist() == [[0.0]]


def test_boxes_on_a_matched_persons_face_or_body_are_not_more_people() -> None:
    # Grace Hopper's portrait with the old head model: a second box on half of her face, one on her tie.
    person = (40, 30, 500, 600)
    own = (262, 120, 350, 240)
    half_face = (168, 127, 262, 241)
    tie = (222, 410, 292, 513)
    kp = face({KP_NOSE: (265, 200), KP_LEYE: (235, 170), KP_REYE: (300, 170), KP_LEAR: (185, 185)})[None]
    fused = fuse_people(dets([person], "person", keypoints=kp), dets([own, half_face, tie], conf=[0.7, 0.65, 0.5]))
    assert fused.head_of_person.tolist() in ([0], [1])  # whichever face box holds more of her face points
    assert len(fused) == 1


def test_a_neighbours_head_by_an_ear_and_a_head_above_a_box_still_count() -> None:
    # A crowded row: my ear lies at the edge of my neighbour's head box; someone behind me shows above my head.
    me = (100, 100, 220, 500)
    my_head = (125, 105, 185, 170)
    neighbour = (188, 110, 240, 165)
    behind = (130, 40, 175, 95)
    kp = face({KP_NOSE: (150, 140), KP_LEYE: (140, 130), KP_REYE: (160, 130), KP_REAR: (186, 140)})[None]
    fused = fuse_people(dets([me], "person", keypoints=kp), dets([my_head, neighbour, behind]))
    assert len(fused) == 3
