import csv
from collections import defaultdict

import numpy as np
import pytest

from monitor.config import ZoneConfig
from monitor.detect.detections import Detections
from monitor.zones.assign import count_zones, zone_masks
from tests.support.paths import CLASSROOM
from tests.zones.helpers import dets, keypoints

LEFT = [(0, 0), (0.5, 0), (0.5, 1), (0, 1)]
RIGHT = [(0.5, 0), (1, 0), (1, 1), (0.5, 1)]
TOP = [(0, 0), (1, 0), (1, 0.5), (0, 0.5)]
FULL = [(0, 0), (1, 0), (1, 1), (0, 1)]


def zone(id, polygon, kind="queue", **kw):
    if kind in ("service", "staff"):
        kw.setdefault("counter", "desk-1")
    return ZoneConfig(id=id, kind=kind, polygon=polygon, **kw)


def test_counts_per_zone_with_feet_anchor():
    # feet at (20, 90), (70, 90), (70, 40)
    d = dets([(10, 50, 30, 90), (60, 50, 80, 90), (60, 0, 80, 40)])
    zones = [zone("left", LEFT), zone("right", RIGHT), zone("top", TOP)]
    assert count_zones({"person": d}, zones) == {"left": 1, "right": 2, "top": 1}


def test_a_person_in_two_overlapping_zones_counts_in_both():
    d = dets([(60, 0, 80, 40)])  # feet at (70, 40): right half and top half
    assert count_zones({"person": d}, [zone("right", RIGHT), zone("top", TOP)]) == {"right": 1, "top": 1}


def test_a_person_on_a_shared_border_counts_in_both_zones():
    d = dets([(40, 50, 60, 90)])  # feet at (50, 90): on the line between left and right
    assert count_zones({"person": d}, [zone("left", LEFT), zone("right", RIGHT)]) == {"left": 1, "right": 1}


def test_anchor_decides_membership():
    # An officer seated behind a desk: box from y 10 to 80, head near the top, feet (box bottom) low.
    officer = dets([(20, 10, 40, 80)], keypoints=[keypoints(nose=(30, 15, 0.9))])
    seat = [(0.1, 0), (0.5, 0), (0.5, 0.4), (0.1, 0.4)]  # top part only
    zones = [zone("staff-auto", seat, kind="staff"),             # auto -> head
             zone("staff-feet", seat, kind="staff", anchor="feet"),
             zone("queue-auto", seat),                            # auto -> feet
             zone("queue-center", seat, anchor="center"),         # centre y 45: outside
             zone("queue-hips", seat, anchor="hips")]             # no hip keypoints: box centre
    assert count_zones({"person": officer}, zones) == {
        "staff-auto": 1, "staff-feet": 0, "queue-auto": 0, "queue-center": 0, "queue-hips": 0}


def test_zones_count_only_their_kind_and_missing_kinds_are_omitted():
    people = dets([(10, 50, 30, 90)])
    heads = dets([(60, 10, 70, 20), (80, 10, 90, 20)], kind="head")
    zones = [zone("p", FULL), zone("h", FULL, count_mode="head"), zone("h-right", RIGHT, count_mode="head")]
    assert count_zones({"person": people, "head": heads}, zones) == {"p": 1, "h": 2, "h-right": 2}
    assert count_zones({"person": people}, zones) == {"p": 1}
    assert count_zones({"head": heads}, zones) == {"h": 2, "h-right": 2}
    assert count_zones({}, zones) == {}


def test_no_detections_count_zero():
    assert count_zones({"person": Detections.empty((100, 100))}, [zone("q", FULL)]) == {"q": 0}


def test_zone_masks_line_up_with_detections():
    d = dets([(10, 50, 30, 90), (60, 50, 80, 90)])
    masks = zone_masks({"person": d}, [zone("left", LEFT), zone("right", RIGHT)])
    assert masks["left"].tolist() == [True, False]
    assert masks["right"].tolist() == [False, True]
    assert d.select(masks["right"]).xyxy.tolist() == [[60, 50, 80, 90]]


def test_normalised_polygons_follow_the_frame_size():
    # Same relative position in two frame sizes gives the same answer.
    small = dets([(10, 50, 30, 90)], size=(100, 100))
    big = dets([(100, 500, 300, 900)], size=(1000, 1000))
    zones = [zone("left", LEFT), zone("right", RIGHT)]
    expected = {"left": 1, "right": 0}
    assert count_zones({"person": small}, zones) == count_zones({"person": big}, zones) == expected


# --- real ground truth: SCUT-HEAD classroom stills ----------------------------------------------------------

def _classroom():
    assert CLASSROOM.is_dir(), f"shared data missing: {CLASSROOM} (see tests/support/paths.py)"
    sizes = {}
    with open(CLASSROOM / "counts.csv", newline="") as f:
        for row in csv.DictReader(f):
            sizes[row["image"]] = ((int(row["width"]), int(row["height"])), int(row["head_count"]))
    heads = defaultdict(list)
    with open(CLASSROOM / "heads.csv", newline="") as f:
        for row in csv.DictReader(f):
            heads[row["image"]].append([float(row[k]) for k in ("xmin", "ymin", "xmax", "ymax", "cx", "cy")])
    return sizes, heads


SIZES, HEADS = _classroom()


@pytest.mark.parametrize("image", ["PartA_00000.jpg", "PartA_00008.jpg", "PartA_00496.jpg",
                                   "PartA_00992.jpg"])
def test_classroom_head_centres_in_full_and_half_frame_zones(image):
    (w, h), head_count = SIZES[image]
    rows = np.array(HEADS[image])
    d = dets(rows[:, :4], kind="head", size=(w, h))
    zones = [zone("all", FULL, count_mode="head"), zone("left", LEFT, count_mode="head"),
             zone("top", TOP, count_mode="head")]
    got = count_zones({"head": d}, zones)
    # Expected counts straight from the CSV centres, edge inclusive like the zones.
    assert got == {"all": head_count,
                   "left": sum(1 for r in HEADS[image] if r[4] <= w / 2),
                   "top": sum(1 for r in HEADS[image] if r[5] <= h / 2)}


def test_every_classroom_image_full_frame_count_equals_ground_truth():
    full = [zone("all", FULL, count_mode="head"), zone("left", LEFT, count_mode="head"),
            zone("right", RIGHT, count_mode="head")]
    on_border = 0
    for image, ((w, h), head_count) in SIZES.items():
        rows = np.array(HEADS[image])
        got = count_zones({"head": dets(rows[:, :4], kind="head", size=(w, h))}, full)
        assert got["all"] == head_count, image
        halves = sum(1 for r in HEADS[image] if r[4] == w / 2)
        on_border += halves
        # Centres on the middle line count in both halves, nothing is lost between them.
        assert got["left"] + got["right"] == head_count + halves, image
    assert on_border > 0  # the data really exercises the shared border
