"""Camera health: error reasons, the status readers get, the sources' timeouts and their reconnect backoff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import SourceError

REASONS = ("connect", "timeout", "eof", "decode", "codec", "bad_size", "auth", "not_found", "io", "not_image",
           "too_large", "error")
"""Error reason labels (metrics label values); snapshot sources add http_<status> (e.g. http_500)."""


@dataclass(frozen=True)
class SourceStatus:
    """Health of one source at one instant (a copy; later changes do not show)."""

    up: bool
    last_frame_ts: float | None
    reconnects: int
    errors: dict[str, int]
    last_error: SourceError | None  # most recent error, kept after recovery (up says if it is current)
    decode_mode: str | None  # 'keyframes' | 'all' for video; None for snapshots and still images
    frames: int = 0  # pictures delivered since start


@dataclass(frozen=True)
class SourceOptions:
    """Timeouts and limits shared by every source kind (defaults suit real cameras; tests shorten them)."""

    open_timeout: float = 8.0  # connect + handshake + first packets
    read_timeout: float = 6.0  # no data for this long = stalled stream
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    max_body_bytes: int = 20 * 1024 * 1024  # snapshot body cap; read streaming, never whole
    no_frame_timeout: float = 20.0  # packets arrive but nothing decodes for this long = broken stream


class Backoff:
    """Reconnect delays: initial, doubling up to maximum; back to initial after a success."""

    def __init__(self, initial: float = 1.0, maximum: float = 30.0) -> None:
        self.initial, self.maximum = initial, maximum
        self._next = initial

    def next(self) -> float:
        """Return the delay before the next attempt and double the one after."""
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay

    def reset(self) -> None:
        """Start again from the initial delay."""
        self._next = self.initial
