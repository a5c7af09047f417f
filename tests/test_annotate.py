"""Annotated pictures: readable labels on filled boxes, person boxes coloured by the role the zones give them."""

import cv2
import numpy as np

from monitor.annotate import _ZONE_COLOURS, annotate, draw_label, person_roles
from monitor.config import ZoneConfig
from monitor.config.camera import resolve_package_url
from tests.zones.helpers import dets, keypoints


def test_label_is_text_on_a_filled_box():
    white = np.full((120, 300, 3), 255, np.uint8)
    img = white.copy()
    colour = _ZONE_COLOURS["queue"]
    x1, y1, x2, y2 = draw_label(img, "waiting: 4", (10, 10), colour, 0.8)
    box = img[y1:y2, x1:x2].reshape(-1, 3).astype(int)
    # The box is the dark fill with the text in the zone colour: no white background shows through.
    assert not np.all(box == 255, axis=1).any()
    assert np.all(box == 32, axis=1).mean() > 0.5
    text = np.all(np.abs(box - np.array(colour)) < 40, axis=1)
    assert 0.05 < text.mean() < 0.5  # the text itself, not a smear of outline
    outside = np.ones(img.shape[:2], bool)
    outside[y1:y2, x1:x2] = False
    assert (img[outside] == 255).all()
    # One more digit makes the box wider by about one glyph: "4" and "44" cannot look alike.
    wide = draw_label(white.copy(), "waiting: 44", (10, 10), colour, 0.8)
    assert (wide[2] - wide[0]) - (x2 - x1) >= 12


def test_label_stays_inside_the_frame():
    img = np.zeros((50, 200, 3), np.uint8)
    x1, y1, x2, y2 = draw_label(img, "table-front: 1", (170, 45), (0, 255, 0), 0.5)
    assert 0 <= x1 and x2 <= 200 and 0 <= y1 and y2 <= 50


def test_boxes_take_the_colour_of_their_role():
    image = cv2.imread(resolve_package_url("package://ultralytics/assets/zidane.jpg"))
    h, w = image.shape[:2]
    zones = [ZoneConfig(id="seat", kind="staff", counter="c", polygon=[(0.6, 0), (1, 0), (1, 1), (0.6, 1)]),
             ZoneConfig(id="front", kind="service", counter="c", anchor="head",
                        polygon=[(0, 0), (0.6, 0), (0.6, 1), (0, 1)])]
    people = dets([(140, 204, 1042, 714), (744, 37, 1142, 710), (5, 5, 60, 60)], size=(w, h),
                  keypoints=[keypoints(nose=(500, 300, 0.9)), keypoints(nose=(950, 200, 0.9)),
                             keypoints(nose=(30, 20, 0.1))])
    assert person_roles(people, zones) == ["service", "staff", "service"]
    out = annotate(image, [people], zones, {"seat": 1, "front": 1})
    # The officer's box edge is drawn in the staff colour, the citizen's in the service colour.
    assert tuple(int(v) for v in out[400, 744]) == _ZONE_COLOURS["staff"]
    assert tuple(int(v) for v in out[500, 140]) == _ZONE_COLOURS["service"]
    assert out.shape == image.shape and not np.array_equal(out, image)
