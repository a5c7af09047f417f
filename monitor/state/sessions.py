"""Service sessions: a counter front occupied without a real break, with an officer there, is one citizen served."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Literal

DiscardReason = Literal["too_short", "no_officer", "staff_unknown"]
DISCARD_REASONS: tuple[DiscardReason, ...] = ("too_short", "no_officer", "staff_unknown")


@dataclass(frozen=True)
class ServiceCompleted:
    """One citizen finished at a counter: how long they were served, and when they were last seen."""

    counter: str
    duration_s: float
    ended_at: float  # unix seconds of the last sample that saw the citizen
    waited_s: float = 0.0  # time at the front before an officer was there


class SessionTracker:
    """Turn the occupancy samples of one service zone into service sessions.

    Rules (t in seconds, samples in time order; older samples are ignored):

    - an occupied sample starts a *visit* of the front, or continues the open one;
    - up to ``gap`` unoccupied samples in a row are tolerated (a missed detection); one more ends the visit;
    - unknown samples (None: camera stale, model not run) neither extend nor end a visit. When known samples
      return, a visit continues only if the time since it was last seen occupied is within what ``gap``
      tolerates, ``(gap + 1.5) * sample_every``; otherwise it ends at the last occupied sample;
    - the *service* starts at the first occupied sample with an officer present (``staffed`` True; counters
      without a staff zone pass True always) and lasts until the last occupied sample of the visit; the time
      before it is the citizen's wait at an unstaffed counter;
    - when a visit ends it is a ServiceCompleted if its service lasted ``min_session`` or more; otherwise it is
      discarded and counted by reason: ``no_officer`` (no officer was ever seen while the citizen was there),
      ``staff_unknown`` (staffing was unknown the whole time), ``too_short`` (a passer-by or a very short service).
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
        self.discarded: Counter[DiscardReason] = Counter()
        self._durations: deque[float] = deque(maxlen=history)
        self._start: float | None = None  # first occupied sample of the open visit
        self._served_from: float | None = None  # first occupied sample with an officer there
        self._staff_known = False  # staffing was known at some occupied sample of the visit
        self._last_seen: float | None = None
        self._misses = 0
        self._last_t: float | None = None

    def update(self, t: float, occupied: bool | None, staffed: bool | None = True) -> ServiceCompleted | None:
        """Feed one sample; return the session it completed, if any.

        ``staffed`` is whether an officer is at the counter at ``t`` (None: unknown).
        """
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
            if staffed is not None:
                self._staff_known = True
            if staffed and self._served_from is None:
                self._served_from = t
            self._last_seen = t
            self._misses = 0
        elif self._start is not None:
            self._misses += 1
            if self._misses > self.gap:
                done = self._finish()
        return done

    def _finish(self) -> ServiceCompleted | None:
        assert self._start is not None and self._last_seen is not None
        start, served_from, ended = self._start, self._served_from, self._last_seen
        staff_known = self._staff_known
        self.reset()
        if served_from is None:
            if ended - start < self.min_session:
                self.discarded["too_short"] += 1
            else:
                self.discarded["no_officer" if staff_known else "staff_unknown"] += 1
            return None
        duration = ended - served_from
        if duration < self.min_session:
            self.discarded["too_short"] += 1
            return None
        self.served_total += 1
        self._durations.append(duration)
        return ServiceCompleted(self.counter, duration, ended, served_from - start)

    def session_s(self) -> float | None:
        """Return how long the open service has lasted (officer there to last occupied sample), None if none."""
        if self._served_from is None or self._last_seen is None:
            return None
        return self._last_seen - self._served_from

    def session_started_at(self) -> float | None:
        """Return when the open service started (identifies the session), None if none."""
        return self._served_from

    def waiting_s(self) -> float | None:
        """Return how long the citizen at the front has waited with no officer, None when no one waits so."""
        if self._start is None or self._last_seen is None or self._served_from is not None:
            return None
        return self._last_seen - self._start

    def reset(self) -> None:
        """Drop the open visit without counting it (zones changed); totals and history are kept."""
        self._start = self._served_from = self._last_seen = None
        self._staff_known = False
        self._misses = 0

    @property
    def durations(self) -> tuple[float, ...]:
        """Return the most recent completed session durations, oldest first."""
        return tuple(self._durations)

    def mean_service_s(self) -> float | None:
        """Return the mean of the recent session durations, None before the first one."""
        return sum(self._durations) / len(self._durations) if self._durations else None
