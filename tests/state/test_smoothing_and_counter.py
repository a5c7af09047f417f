import pytest

from monitor.state.counter import counter_state
from monitor.state.model import COUNTER_STATES
from monitor.state.smoothing import MedianWindow


@pytest.mark.parametrize("n, samples, expected", [
    (5, [], None),
    (5, [3], 3),
    (5, [0, 1], 0.5),
    (5, [2, 2, 0, 2, 2], 2),        # one missed detection does not change the value
    (5, [0, 0, 1, 0, 0], 0),        # one false detection neither
    (3, [5, 5, 5, 0, 0], 0),        # only the last n samples count
    (3, [5, 5, 5, 0], 5),
    (1, [4, 7], 7),
    (4, [1, 2, 3, 10], 2.5),
])
def test_median_window(n, samples, expected):
    w = MedianWindow(n)
    for s in samples:
        w.add(s)
    assert w.value() == expected
    assert len(w) == min(n, len(samples))


def test_clear_forgets_everything():
    w = MedianWindow(3)
    w.add(4)
    w.clear()
    assert w.value() is None and len(w) == 0


def test_window_size_must_be_positive():
    with pytest.raises(ValueError):
        MedianWindow(0)


@pytest.mark.parametrize("open_, staffed, front, waiting, expected", [
    (False, True, 1.0, 3.0, "closed"),
    (False, None, None, None, "closed"),
    (True, True, 1.0, 0.0, "serving"),
    (True, True, 0.5, 0.0, "serving"),         # median of an even window split evenly
    (True, True, 2.0, 5.0, "serving"),
    (True, True, 0.0, 0.0, "idle_staffed"),
    (True, True, 0.0, 4.0, "idle_staffed"),    # people queue but nobody stands at this counter
    (True, True, 0.0, None, "idle_staffed"),   # the queue does not matter once staffed
    (True, False, 1.0, 0.0, "waiting_unstaffed"),
    (True, False, 0.0, 2.0, "waiting_unstaffed"),
    (True, False, 0.0, 0.5, "waiting_unstaffed"),
    (True, False, 0.0, 0.0, "unstaffed"),
    (True, False, 1.0, None, "waiting_unstaffed"),  # someone at the front decides it despite an unknown queue
    (True, False, None, 3.0, "waiting_unstaffed"),
    (True, False, None, 0.0, None),            # could be either: unknown
    (True, False, 0.0, None, None),
    (True, True, None, 0.0, None),             # serving or idle: unknown
    (True, None, 1.0, 0.0, None),              # staffing unknown (stale camera): unknown, never a guess
    (True, None, 0.0, 0.0, None),
])
def test_counter_state_table(open_, staffed, front, waiting, expected):
    assert counter_state(open_, staffed, front, waiting) == expected
    assert expected is None or expected in COUNTER_STATES
