"""Service sessions: a counter front occupied without a real break is one citizen served."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceCompleted:
    """One citizen finished at a counter: how long the front was occupied, and when it was last seen."""

    counter: str
    duration_s: float
    ended_at: float  # unix seconds of the last sample that saw the citizen


class SessionTracker:
    """Turn the occupancy samples of one service zone into service sessions.

    Rules (t in seconds, samples in time order; older samples are ignored):

    - an occupied sample starts a session, or continues the open one;
    - up to ``gap`` unoccupied samples in a row are tolerated (a missed detection); one more ends the session;
    - unknown samples (None: camera stale, model not run) neither extend nor end a session. When known samples
      return, a session continues only if the time since it was last seen occupied is within what ``gap``
      tolerates, ``(gap + 1.5) * sample_every``; otherwise it ends at the last occupied sample;
    - a session lasts from its first to its last occupied sample; one shorter than ``min_session`` is a
      passer-by and is dropped; a longer one is a ServiceCompleted and joins the last ``history`` durations.
    """

    def __init__(self, counter: str, sample_every: float, gap: int = 2, min_session: float = 10.0,
                 history: int = 20) -> None:
        """Track sessions of ``counter`` sampled every ``sample_every`` seconds."""
        if sample_every <= 0 or gap < 0 or min_session < 0 or history < 1:
            raise ValueError("need sample_every > 0, gap >= 0, min_session >= 0, history >= 1")
        self.counter = counter
        self.gap = gap
        self.min_session = min_session
        # Half an interval of slack: sample times jitter with decoding and inference time.
        self.max_gap_s = (gap + 1.5) * sample_every
        self.served_total = 0
        self._durations: deque[float] = deque(maxlen=history)
        self._start: float | None = None
        self._last_seen: float | None = None
        self._misses = 0
        self._last_t: float | None = None

    def update(self, t: float, occupied: bool | None) -> ServiceCompleted | None:
        """Feed one sample; return the session it completed, if any."""
        if self._last_t is not None and t <= self._last_t:
            return None
        self._last_t = t
        if occupied is None:
            return None
        done = None
        if self._last_seen is not None and t - self._last_seen > self.max_gap_s:
            done = self._finish()
        if occupied:
            if self._start is None:
                self._start = t
            self._last_seen = t
            self._misses = 0
        elif self._start is not None:
            self._misses += 1
            if self._misses > self.gap:
                done = self._finish()
        return done

    def _finish(self) -> ServiceCompleted | None:
        assert self._start is not None and self._last_seen is not None
        duration, ended = self._last_seen - self._start, self._last_seen
        self._start = self._last_seen = None
        self._misses = 0
        if duration < self.min_session:
            return None
        self.served_total += 1
        self._durations.append(duration)
        return ServiceCompleted(self.counter, duration, ended)

    def session_s(self) -> float | None:
        """Return how long the open session has lasted (first to last occupied sample), None if none."""
        if self._start is None or self._last_seen is None:
            return None
        return self._last_seen - self._start

    def reset(self) -> None:
        """Drop the open session without counting it (zones changed); totals and history are kept."""
        self._start = self._last_seen = None
        self._misses = 0

    @property
    def durations(self) -> tuple[float, ...]:
        """Return the most recent completed session durations, oldest first."""
        return tuple(self._durations)

    def mean_service_s(self) -> float | None:
        """Return the mean of the recent session durations, None before the first one."""
        return sum(self._durations) / len(self._durations) if self._durations else None
