"""Per-site state: smoothed zone counts, counter states, service sessions, and the snapshot model."""

from .counter import PRESENT, counter_state, is_present
from .model import COUNTER_STATES, CameraReading, CounterReading, CounterState, SiteSnapshot, ZoneReading
from .sessions import ServiceCompleted, SessionTracker
from .smoothing import MedianWindow
from .tracker import SiteTracker

__all__ = ["COUNTER_STATES", "PRESENT", "CameraReading", "CounterReading", "CounterState", "MedianWindow",
           "ServiceCompleted", "SessionTracker", "SiteSnapshot", "SiteTracker", "ZoneReading",
           "counter_state", "is_present"]
