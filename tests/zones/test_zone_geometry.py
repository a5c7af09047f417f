import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from monitor.zones.geometry import Polygon

SQUARE = [(0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.1, 0.5)]  # on a 200x100 frame: x 20..100, y 10..50
# A "U": two legs joined at the top, the notch between the legs (x 120..180, y > 120 on 300x300) is outside.
U_SHAPE = [(0, 0), (1, 0), (1, 1), (0.6, 1), (0.6, 0.4), (0.4, 0.4), (0.4, 1), (0, 1)]
DIAMOND = [(0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)]


@pytest.mark.parametrize("poly, size, point, expected", [
    (SQUARE, (200, 100), (50, 30), True),
    (SQUARE, (200, 100), (10, 30), False),
    (SQUARE, (200, 100), (150, 30), False),
    (SQUARE, (200, 100), (50, 5), False),
    (SQUARE, (200, 100), (50, 50.5), False),
    (SQUARE, (200, 100), (20, 30), True),        # left edge
    (SQUARE, (200, 100), (100, 30), True),       # right edge
    (SQUARE, (200, 100), (50, 10), True),        # top edge
    (SQUARE, (200, 100), (60, 50), True),        # bottom edge
    (SQUARE, (200, 100), (100, 50), True),       # corner
    (SQUARE, (200, 100), (20, 10), True),        # corner
    (SQUARE, (200, 100), (100.01, 30), False),   # just outside
    (U_SHAPE, (300, 300), (150, 200), False),    # in the notch
    (U_SHAPE, (300, 300), (150, 60), True),      # in the bar above the notch
    (U_SHAPE, (300, 300), (60, 250), True),      # left leg
    (U_SHAPE, (300, 300), (240, 250), True),     # right leg
    (U_SHAPE, (300, 300), (150, 120), True),     # notch's top edge
    (U_SHAPE, (300, 300), (120, 200), True),     # notch's side edge
    (U_SHAPE, (300, 300), (150, 300), False),    # bottom of the notch is open
    (DIAMOND, (100, 100), (10, 50), True),       # the ray passes through two vertices
    (DIAMOND, (100, 100), (110, 50), False),
    (DIAMOND, (100, 100), (-10, 50), False),
    (DIAMOND, (100, 100), (0, 50), True),        # vertex
    (DIAMOND, (100, 100), (10, 10), False),
])
def test_contains_table(poly, size, point, expected):
    assert Polygon(poly).contains(np.array([point], float), size).tolist() == [expected]


def test_contains_is_vectorised_and_keeps_order():
    pts = np.array([[50, 30], [10, 30], [100, 50], [150, 30]], np.float32)
    assert Polygon(SQUARE).contains(pts, (200, 100)).tolist() == [True, False, True, False]


def test_no_points_gives_empty_mask():
    mask = Polygon(SQUARE).contains(np.zeros((0, 2)), (200, 100))
    assert mask.shape == (0,) and mask.dtype == bool


def test_repeated_vertex_does_not_swallow_the_frame():
    poly = Polygon([(0.1, 0.1), (0.5, 0.1), (0.5, 0.1), (0.5, 0.5), (0.1, 0.5)])
    assert Polygon(SQUARE).contains(np.array([[180.0, 90.0]]), (200, 100)).tolist() == [False]
    assert poly.contains(np.array([[180.0, 90.0], [50, 30]]), (200, 100)).tolist() == [False, True]


@pytest.mark.parametrize("bad", [[(0, 0), (1, 1)], [(0, 0), (1, float("nan")), (0, 1)], [0.1, 0.2, 0.3]])
def test_bad_polygons_are_rejected(bad):
    with pytest.raises(ValueError):
        Polygon(bad)


def test_pixels_scale_with_frame_size():
    assert Polygon(SQUARE).to_pixels((200, 100)).tolist() == [[20, 10], [100, 10], [100, 50], [20, 50]]


# --- properties -------------------------------------------------------------------------------------------

coord = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)


def _hull(points):
    """Andrew's monotone chain, counter-clockwise, without collinear points."""
    pts = sorted(set(points))

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _edge_distances(verts, p):
    out = []
    for a, b in zip(verts, verts[1:] + verts[:1], strict=True):
        ab, ap = np.subtract(b, a), np.subtract(p, a)
        denom = float(np.dot(ab, ab))
        t = min(1.0, max(0.0, float(np.dot(ap, ab)) / denom)) if denom > 0 else 0.0
        out.append(float(np.hypot(*(ap - t * ab))))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(coord, coord), min_size=3, max_size=12), coord, coord,
       st.sampled_from([(640, 480), (1920, 1080), (1, 1)]))
def test_convex_polygon_matches_half_plane_test(raw, u, v, size):
    hull = _hull(raw)
    assume(len(hull) >= 3)
    w, h = size
    verts = [(x * w, y * h) for x, y in hull]
    xs, ys = [p[0] for p in verts], [p[1] for p in verts]
    # A point inside the polygon's bounding box, the interesting region.
    p = (min(xs) + u * (max(xs) - min(xs)), min(ys) + v * (max(ys) - min(ys)))
    scale = max(max(xs) - min(xs), max(ys) - min(ys))
    assume(scale > 0 and min(_edge_distances(verts, p)) > 1e-6 * scale + 1e-6)
    expected = all((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0
                   for a, b in zip(verts, verts[1:] + verts[:1], strict=True))
    assert Polygon(hull).contains(np.array([p]), size).tolist() == [expected]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 2 * math.pi, exclude_max=True), st.floats(0.05, 0.5)),
                min_size=3, max_size=10, unique_by=lambda a: round(a[0], 3)),
       coord, coord)
def test_star_shaped_concave_polygon_matches_winding_number(spokes, u, v):
    # Vertices sorted by angle around the centre give a simple, usually concave, polygon.
    spokes = sorted(spokes)
    verts = [(0.5 + r * math.cos(a), 0.5 + r * math.sin(a)) for a, r in spokes]
    area2 = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(verts, verts[1:] + verts[:1], strict=True))
    assume(abs(area2) > 1e-4)
    p = (u, v)
    assume(min(_edge_distances(verts, p)) > 1e-6)
    angles = [math.atan2(y - p[1], x - p[0]) for x, y in verts]
    turns = zip(angles, angles[1:] + angles[:1], strict=True)
    total = sum((b - a + math.pi) % (2 * math.pi) - math.pi for a, b in turns)
    expected = abs(total) > math.pi  # winding number 1 (inside) or 0 (outside)
    size = (1000, 1000)
    assert Polygon(verts).contains(np.array([[u * 1000, v * 1000]]), size).tolist() == [expected]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(coord, coord), min_size=3, max_size=8), st.integers(0, 7), coord)
def test_points_on_an_edge_are_inside(raw, i, t):
    hull = _hull(raw)
    assume(len(hull) >= 3)
    a, b = hull[i % len(hull)], hull[(i + 1) % len(hull)]
    size = (1920, 1080)
    p = ((a[0] + t * (b[0] - a[0])) * size[0], (a[1] + t * (b[1] - a[1])) * size[1])
    assert Polygon(hull).contains(np.array([p]), size).tolist() == [True]
