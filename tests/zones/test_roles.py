"""One person, one role: the roles rule on hand-built detections (frame 100 x 100 px)."""

import numpy as np
import pytest

from monitor.config import ZoneConfig
from monitor.zones.assign import count_zones
from monitor.zones.roles import feet_visible
from tests.zones.helpers import dets, keypoints

# The camera looks over the citizens' backs: the officer's seat is high in the frame (behind the counter), the
# floor in front of the counter low in the frame, the shared queue to the left.
SEAT = [(0.4, 0.1), (0.8, 0.1), (0.8, 0.5), (0.4, 0.5)]
FRONT = [(0.3, 0.55), (0.9, 0.55), (0.9, 1.0), (0.3, 1.0)]
QUEUE = [(0.0, 0.55), (0.3, 0.55), (0.3, 1.0), (0.0, 1.0)]


def zones(**shared):
    return [ZoneConfig(id="staff", kind="staff", counter="c", polygon=SEAT, shared=shared.get("staff", False)),
            ZoneConfig(id="front", kind="service", counter="c", polygon=FRONT, shared=shared.get("front", False)),
            ZoneConfig(id="queue", kind="queue", polygon=QUEUE, shared=shared.get("queue", False))]


# A standing citizen at the counter, back to the camera: head at (60, 20) inside the seat zone, feet at y 90.
STANDING = (50, 15, 70, 90)
STANDING_KP = keypoints(nose=(60, 20, 0.9), lankle=(57, 89, 0.9), rankle=(63, 89, 0.9))
HIDDEN_FEET_KP = keypoints(nose=(60, 20, 0.9), lankle=(57, 89, 0.1), rankle=(63, 89, 0.05))
# A seated officer: head at (60, 15), box ends at the desk top (y 48), feet hidden by the desk.
SEATED = (50, 10, 70, 48)
SEATED_KP = keypoints(nose=(60, 15, 0.9))


@pytest.mark.parametrize("case, boxes, kps, expected", [
    ("citizen seen from behind is a citizen only", [STANDING], [STANDING_KP],
     {"staff": 0, "front": 1, "queue": 0}),
    ("feet hidden but the box ends far below the seat", [STANDING], [HIDDEN_FEET_KP],
     {"staff": 0, "front": 1, "queue": 0}),
    ("seated officer behind the desk", [SEATED], [SEATED_KP], {"staff": 1, "front": 0, "queue": 0}),
    ("officer whose desk edge reaches into the front zone", [(50, 10, 70, 57)], [SEATED_KP],
     {"staff": 1, "front": 0, "queue": 0}),
    ("officer and citizen together", [SEATED, STANDING], [SEATED_KP, STANDING_KP],
     {"staff": 1, "front": 1, "queue": 0}),
    ("a citizen on the border of front and queue is served, not waiting", [(22, 40, 38, 90)],
     [keypoints(nose=(30, 45, 0.9), lankle=(30, 89, 0.9))], {"staff": 0, "front": 1, "queue": 0}),
    ("a citizen in the queue only", [(5, 40, 21, 90)], [keypoints(nose=(13, 45, 0.9), lankle=(13, 89, 0.9))],
     {"staff": 0, "front": 0, "queue": 1}),
])
def test_roles(case, boxes, kps, expected):
    d = dets(boxes, keypoints=kps)
    assert count_zones({"person": d}, zones()) == expected, case


def test_service_wins_over_an_overlapping_queue_but_two_queues_both_count():
    d = dets([(30, 40, 50, 90)], keypoints=[keypoints(nose=(40, 45, 0.9), lankle=(40, 89, 0.9))])
    wide_queue = ZoneConfig(id="queue", kind="queue", polygon=[(0, 0.55), (0.5, 0.55), (0.5, 1), (0, 1)])
    hall = ZoneConfig(id="hall", kind="queue", polygon=[(0, 0), (1, 0), (1, 1), (0, 1)])
    assert count_zones({"person": d}, [*zones()[:2], wide_queue, hall]) == {
        "staff": 0, "front": 1, "queue": 0, "hall": 0}
    assert count_zones({"person": d}, [wide_queue, hall]) == {"queue": 1, "hall": 1}


def test_shared_zones_stand_outside_the_rule():
    d = dets([STANDING], keypoints=[STANDING_KP])
    assert count_zones({"person": d}, zones(staff=True)) == {"staff": 1, "front": 1, "queue": 0}


def test_without_keypoints_the_box_bottom_is_the_feet():
    # A plain detector (no pose): the standing citizen's box ends on the floor in front of the counter.
    d = dets([STANDING, SEATED])
    assert not np.any(d.keypoints)
    assert feet_visible(d).tolist() == [True, True]
    assert count_zones({"person": d}, zones()) == {"staff": 1, "front": 1, "queue": 0}


def test_head_zones_are_not_ruled():
    heads = dets([(55, 15, 65, 25)], kind="head")
    seat = ZoneConfig(id="seat-heads", kind="staff", counter="c", polygon=SEAT, count_mode="head")
    front = ZoneConfig(id="front-heads", kind="service", counter="c", polygon=[(0, 0), (1, 0), (1, 1), (0, 1)],
                       count_mode="head")
    assert count_zones({"head": heads}, [seat, front]) == {"seat-heads": 1, "front-heads": 1}


def test_feet_visible_needs_an_ankle_above_the_keypoint_threshold():
    d = dets([STANDING, STANDING, SEATED], keypoints=[STANDING_KP, HIDDEN_FEET_KP, SEATED_KP])
    assert feet_visible(d).tolist() == [True, False, False]
