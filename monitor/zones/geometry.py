"""Polygon zones in normalised frame coordinates and vectorised point-in-polygon tests in pixels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Points closer than this many pixels to an edge count as on it: float rounding of normalised vertices times
# the frame size must not decide whether a person standing exactly on a zone border is counted.
EDGE_TOLERANCE_PX = 1e-6


class Polygon:
    """A simple (possibly concave) polygon whose vertices are fractions (0..1) of frame width and height.

    >>> Polygon([(0, 0), (1, 0), (1, 1), (0, 1)]).contains(np.array([[10.0, 5.0]]), (20, 10)).tolist()
    [True]
    """

    def __init__(self, points_norm: Sequence[Sequence[float]] | np.ndarray) -> None:
        """Store the vertices; at least 3 finite (x, y) pairs."""
        pts = np.asarray(points_norm, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] < 3:
            raise ValueError(f"a polygon needs at least 3 (x, y) points, got shape {pts.shape}")
        if not np.all(np.isfinite(pts)):
            raise ValueError("polygon points must be finite numbers")
        pts.setflags(write=False)
        self.points = pts

    def __repr__(self) -> str:
        """Return the vertices, for test output and logs."""
        return f"Polygon({self.points.tolist()!r})"

    def to_pixels(self, frame_size: tuple[int, int]) -> np.ndarray:
        """Return the vertices in pixels of a frame of size (width, height)."""
        w, h = frame_size
        return self.points * np.array([w, h], dtype=np.float64)

    def contains(self, points_px: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
        """Return a bool mask (N,): which pixel points lie inside the polygon or on its border.

        Uses the even-odd crossing rule over all points and edges at once, then adds points lying on an edge
        (within ``EDGE_TOLERANCE_PX``) so that borders shared by two zones count in both.
        """
        pts = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)
        if pts.shape[0] == 0:
            return np.zeros(0, dtype=bool)
        verts = self.to_pixels(frame_size)
        x1, y1 = verts[:, 0], verts[:, 1]
        x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
        px, py = pts[:, 0:1], pts[:, 1:2]  # (N, 1) against (E,) edges broadcasts to (N, E)

        straddles = (y1 > py) != (y2 > py)
        # Only straddling edges need the crossing; for them |py - y1| <= |dy| and dy != 0, so no overflow.
        dy = np.where(straddles, y2 - y1, 1.0)
        x_cross = x1 + (py - y1) / dy * (x2 - x1)
        inside = np.count_nonzero(straddles & (px < x_cross), axis=1) % 2 == 1

        ex, ey = x2 - x1, y2 - y1
        length = np.hypot(ex, ey)
        cross = ex * (py - y1) - ey * (px - x1)
        dot = ex * (px - x1) + ey * (py - y1)
        on_line = np.abs(cross) <= EDGE_TOLERANCE_PX * length
        within = (dot >= -EDGE_TOLERANCE_PX * length) & (dot <= length * length + EDGE_TOLERANCE_PX * length)
        # A repeated vertex gives a zero-length edge that every point would be "on"; its ends belong to the
        # neighbouring edges anyway.
        on_edge = np.any(on_line & within & (length > 0), axis=1)
        return np.asarray(inside | on_edge)
