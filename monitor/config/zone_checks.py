"""Zone geometry checks: polygons that are valid, large enough, and keep a citizen out of the officer's zone."""

from __future__ import annotations

import cv2
import numpy as np

from .app import AppConfig
from .problem import Loc, Problem
from .zone import ZoneConfig

# Zones smaller than this share of the frame rarely hold a person's anchor point: usually a typo in a coordinate.
MIN_ZONE_AREA = 0.005
_GRID = 200  # raster resolution for zone geometry checks (0.5% of the frame per cell side)
# A staff zone must overlap a front zone in at least this many raster columns for a person to reach both.
_MIN_SHARED_COLUMNS = 3


def _segments_cross(p1: tuple[float, float], p2: tuple[float, float],
                    q1: tuple[float, float], q2: tuple[float, float]) -> bool:
    def orient(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    def on_seg(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> bool:
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return any(d == 0 and on_seg(a, b, c) for d, a, b, c in
               ((d1, q1, q2, p1), (d2, q1, q2, p2), (d3, p1, p2, q1), (d4, p1, p2, q2)))


def polygon_problems(points: list[tuple[float, float]]) -> list[str]:
    """Return what is wrong with a normalised polygon: too few points, out of range, self-intersecting, no area."""
    out: list[str] = []
    if len(points) < 3:
        return [f"a polygon needs at least 3 points, got {len(points)}"]
    bad = [i for i, (x, y) in enumerate(points) if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0)]
    if bad:
        out.append(f"point(s) {bad} outside 0..1 (coordinates are fractions of frame width/height)")
    area2 = sum(points[i][0] * points[(i + 1) % len(points)][1] - points[(i + 1) % len(points)][0] * points[i][1]
                for i in range(len(points)))
    if abs(area2) < 1e-9:
        out.append("polygon has no area")
    n = len(points)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbouring edges share a vertex by construction
            if _segments_cross(points[i], points[(i + 1) % n], points[j], points[(j + 1) % n]):
                out.append(f"polygon edges {i} and {j} cross (self-intersecting)")
                return out
    return out


def polygon_area(points: list[tuple[float, float]]) -> float:
    """Return the area of a normalised polygon, as a share of the frame (shoelace formula)."""
    n = len(points)
    return abs(sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
                   for i in range(n))) / 2


def check_zones(cfg: AppConfig) -> list[Problem]:
    """Zones name existing counters (required for service/staff) and have valid polygons."""
    out = []
    for i, s in enumerate(cfg.sites):
        counters = {c.id for c in s.counters}
        for j, cam in enumerate(s.cameras):
            for k, z in enumerate(cam.zones):
                loc: Loc = ("sites", i, "cameras", j, "zones", k)
                if z.counter is not None and z.counter not in counters:
                    out.append(Problem(loc + ("counter",), f"unknown counter {z.counter!r}; "
                                       f"counters of site {s.id!r}: {sorted(counters) or 'none'}"))
                if z.kind in ("service", "staff") and z.counter is None:
                    out.append(Problem(loc + ("counter",), f"a {z.kind} zone must name its counter"))
                out += [Problem(loc + ("polygon",), msg) for msg in polygon_problems(z.polygon)]
    return out


def check_zone_sizes(cfg: AppConfig) -> list[Problem]:
    """Warn about zones covering less than 0.5% of the frame (usually a mistyped coordinate)."""
    out = []
    for i, s in enumerate(cfg.sites):
        for j, cam in enumerate(s.cameras):
            for k, z in enumerate(cam.zones):
                area = polygon_area(z.polygon)
                if 0 < area < MIN_ZONE_AREA:
                    out.append(Problem(("sites", i, "cameras", j, "zones", k, "polygon"),
                                       f"zone {z.id!r} covers {100 * area:.2f}% of the frame, less than "
                                       f"{100 * MIN_ZONE_AREA:g}%: too small to hold a person reliably "
                                       "(coordinates are fractions 0..1 of width and height)", True))
    return out


def _raster(zone: ZoneConfig) -> np.ndarray:
    """Return the zone's interior on a grid; one cell of erosion so that zones sharing an edge do not overlap."""
    mask = np.zeros((_GRID, _GRID), np.uint8)
    raw = np.array(zone.polygon, np.float64)
    if not np.all(np.isfinite(raw)):
        return mask.astype(bool)  # check_zones reports the polygon itself
    pts = np.round(np.clip(raw, -1.0, 2.0) * (_GRID - 1)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1)
    return cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)


def _reach_problem(staff: ZoneConfig, front: ZoneConfig) -> str | None:
    """Say how a standing citizen in ``front`` can also be in ``staff``, or None if they cannot."""
    s, f = _raster(staff), _raster(front)
    if (s & f).any():
        return (f"staff zone {staff.id!r} overlaps {front.kind} zone {front.id!r}: a person standing in the overlap "
                "is in both, and only whether their feet are visible tells a citizen from the officer")
    rows = np.arange(_GRID)[:, None]
    top_staff = np.where(s, rows, _GRID).min(axis=0)  # per column, the highest staff cell
    low_front = np.where(f, rows, -1).max(axis=0)  # per column, the lowest front cell
    if np.count_nonzero(top_staff < low_front) < _MIN_SHARED_COLUMNS:
        return None
    return (f"staff zone {staff.id!r} lies above {front.kind} zone {front.id!r} (the camera looks over the "
            f"citizens' backs): a citizen standing in {front.id!r} can have their head in {staff.id!r}")


def check_role_separation(cfg: AppConfig) -> list[Problem]:
    """Warn about a counter's staff zone that a citizen standing in its service zone (same camera) can reach."""
    out = []
    for i, s in enumerate(cfg.sites):
        for j, cam in enumerate(s.cameras):
            fronts = [z for z in cam.zones if z.kind == "service" and z.count_mode == "person"]
            for k, staff in enumerate(cam.zones):
                if staff.kind != "staff" or staff.count_mode != "person":
                    continue
                for front in fronts:
                    if front.counter != staff.counter:
                        continue
                    problem = _reach_problem(staff, front)
                    if problem is None:
                        continue
                    if staff.shared or front.shared:
                        shared = staff.id if staff.shared else front.id
                        advice = (f"zone {shared!r} has shared: true, so the roles rule cannot separate them and "
                                  "one person counts as citizen and officer; remove shared")
                    else:
                        advice = ("the roles rule keeps them a citizen while their feet are visible or their box "
                                  "ends well below the staff zone (README: One person, one role); check "
                                  "`onestop-monitor snapshot` with someone standing there")
                    out.append(Problem(("sites", i, "cameras", j, "zones", k, "polygon"),
                                       f"{problem}; {advice}", True))
    return out
