"""State of one service counter from office hours, staff presence and the people in front of it."""

from __future__ import annotations

from monitor.state.model import CounterState

# Smoothed counts are medians of whole numbers, so they are 0, 0.5 (an even window split evenly), 1, ...;
# half a person or more is "someone there".
PRESENT = 0.5


def is_present(people: float | None) -> bool | None:
    """Return whether a smoothed count means someone is there; None when the count is unknown."""
    return None if people is None else people >= PRESENT


def counter_state(open_: bool, staffed: bool | None, front_people: float | None,
                  waiting_people: float | None) -> CounterState | None:
    """Return the counter state, or None when the data cannot decide it.

    closed outside office hours; unknown when staffing is unknown; staffed: serving with someone at the front,
    else idle_staffed; not staffed: waiting_unstaffed with someone at the front or waiting in its queue, else
    unstaffed. An unknown front or queue count (None) only leaves the state unknown when it could change it.
    A counter with no service zone or no queue zone should pass 0 for that count: there is nobody to see.

    >>> counter_state(True, True, 1.0, 0.0), counter_state(True, False, 0.0, 3.0)
    ('serving', 'waiting_unstaffed')
    >>> counter_state(False, None, None, None), counter_state(True, None, 1.0, 0.0)
    ('closed', None)
    """
    if not open_:
        return "closed"
    if staffed is None:
        return None
    front = is_present(front_people)
    if staffed:
        if front is None:
            return None
        return "serving" if front else "idle_staffed"
    waiting = is_present(waiting_people)
    if front or waiting:
        return "waiting_unstaffed"
    if front is None or waiting is None:
        return None
    return "unstaffed"
