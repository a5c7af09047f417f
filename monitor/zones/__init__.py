"""Zone geometry and assignment: which person (by anchor point) stands in which polygon zone."""

from .anchors import ANCHORS, KP_MIN_CONF, AnchorName, anchor_points
from .assign import count_zones, zone_masks, zone_polygon
from .geometry import EDGE_TOLERANCE_PX, Polygon

__all__ = ["ANCHORS", "EDGE_TOLERANCE_PX", "KP_MIN_CONF", "AnchorName", "Polygon", "anchor_points",
           "count_zones", "zone_masks", "zone_polygon"]
