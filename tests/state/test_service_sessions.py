import pytest

from monitor.state.sessions import ServiceCompleted, SessionTracker

EVERY = 2.0


def run(samples, gap=2, min_session=10.0, history=20, start=1000.0):
    """Feed (t offset, occupied) samples; return the tracker and (t offset of the sample, event) pairs."""
    tr = SessionTracker("desk-1", EVERY, gap=gap, min_session=min_session, history=history)
    events = []
    for t, occ in samples:
        ev = tr.update(start + t, occ)
        if ev is not None:
            events.append((t, ev))
    return tr, events


def occupied(t0, t1, value=True):
    """Samples every 2 s from t0 to t1 inclusive."""
    return [(float(t), value) for t in range(int(t0), int(t1) + 1, int(EVERY))]


def test_one_citizen_from_arrival_to_leaving():
    tr, events = run(occupied(0, 20) + occupied(22, 26, False))
    # Ends on the third empty sample (gap 2 tolerates two), dated at the last sample that saw the citizen.
    assert events == [(26.0, ServiceCompleted("desk-1", 20.0, 1020.0))]
    assert tr.served_total == 1 and tr.mean_service_s() == 20.0 and tr.session_s() is None


@pytest.mark.parametrize("gap, misses, sessions", [
    (2, 1, 1), (2, 2, 1), (2, 3, 2), (0, 1, 2), (1, 1, 1), (1, 2, 2), (5, 5, 1),
])
def test_missed_samples_within_the_gap_keep_one_session(gap, misses, sessions):
    gap_end = 20 + 2 * misses
    samples = occupied(0, 20) + occupied(22, gap_end, False) + occupied(gap_end + 2, gap_end + 22)
    samples += occupied(gap_end + 24, gap_end + 24 + 2 * gap, False)
    tr, events = run(samples, gap=gap)
    assert len(events) == sessions
    if sessions == 1:
        assert events[0][1].duration_s == gap_end + 22  # the whole visit, gaps included


def test_short_occupations_are_passers_by():
    tr, events = run(occupied(0, 8) + occupied(10, 14, False) + occupied(16, 26) + occupied(28, 32, False))
    assert [e.duration_s for _, e in events] == [10.0]  # 8 s is below min_session, exactly 10 s counts
    assert tr.served_total == 1


def test_unknown_samples_neither_extend_nor_end_a_session():
    # Occupied until 20, then the camera is stale for a long time: no event, the session stays as it was.
    tr, events = run(occupied(0, 20) + occupied(22, 400, None))
    assert events == [] and tr.session_s() == 20.0
    # Unknown samples are not misses: three of them (1 s apart, within the time gap tolerates) do not end it
    # with gap 2; three empty samples do.
    unknown = [(21.0, None), (22.0, None), (23.0, None)]
    tr, events = run(occupied(0, 20) + unknown + occupied(24, 30) + occupied(32, 36, False))
    assert [(e.duration_s, e.ended_at) for _, e in events] == [(30.0, 1030.0)]
    empty = [(21.0, False), (22.0, False), (23.0, False)]
    tr, events = run(occupied(0, 20) + empty + occupied(24, 30) + occupied(32, 36, False))
    # Split in two; the second part (24 to 30 s) is shorter than min_session.
    assert [(e.duration_s, e.ended_at) for _, e in events] == [(20.0, 1020.0)]


def test_a_short_outage_continues_the_session_a_long_one_ends_it_where_it_was_last_seen():
    # Within what gap tolerates ((2 + 1.5) x 2 s = 7 s after the last occupied sample): one session.
    _, events = run(occupied(0, 20) + occupied(22, 24, None) + occupied(26, 40) + occupied(42, 46, False))
    assert [e.duration_s for _, e in events] == [40.0]
    # A longer outage: the first session ends at 20 when data returns at 30; the second one starts at 30.
    _, events = run(occupied(0, 20) + occupied(22, 28, None) + occupied(30, 50) + occupied(52, 56, False))
    assert [(t, e.duration_s, e.ended_at) for t, e in events] == [(30.0, 20.0, 1020.0), (56.0, 20.0, 1050.0)]
    # No samples at all during the outage (the sampler stopped) behaves the same.
    _, events = run(occupied(0, 20) + occupied(60, 80) + occupied(82, 86, False))
    assert [(t, e.ended_at) for t, e in events] == [(60.0, 1020.0), (86.0, 1080.0)]
    # The front found empty after a long outage ends the session right away.
    _, events = run(occupied(0, 20) + [(60.0, False)])
    assert [(t, e.ended_at) for t, e in events] == [(60.0, 1020.0)]


def test_old_or_repeated_samples_are_ignored():
    tr, events = run(occupied(0, 20) + [(10.0, False), (20.0, False)] + occupied(22, 26, False))
    assert [e.duration_s for _, e in events] == [20.0]


def test_session_length_so_far_and_reset():
    tr, _ = run(occupied(0, 14) + [(16.0, False)])
    assert tr.session_s() == 14.0  # a miss does not end it yet
    tr.reset()
    assert tr.session_s() is None
    assert tr.update(1018.0, False) is None and tr.served_total == 0


def test_history_keeps_the_last_n_durations():
    samples, t = [], 0
    for length in (10, 20, 30, 40):
        samples += occupied(t, t + length) + occupied(t + length + 2, t + length + 6, False)
        t += length + 8
    tr, events = run(samples, history=3)
    assert [e.duration_s for _, e in events] == [10.0, 20.0, 30.0, 40.0]
    assert tr.served_total == 4
    assert tr.durations == (20.0, 30.0, 40.0) and tr.mean_service_s() == 30.0


def test_no_sessions_no_mean():
    tr, _ = run(occupied(0, 20, False))
    assert tr.mean_service_s() is None and tr.session_s() is None and tr.served_total == 0


@pytest.mark.parametrize("kw", [{"sample_every": 0}, {"gap": -1}, {"min_session": -1}, {"history": 0}])
def test_bad_parameters(kw):
    args = {"sample_every": 2.0, "gap": 2, "min_session": 10.0, "history": 20, **kw}
    with pytest.raises(ValueError):
        SessionTracker("desk-1", **args)


# --- service needs an officer ----------------------------------------------------------------------------------

def run_staffed(samples, min_session=10.0, start=1000.0):
    """Feed (t offset, occupied, staffed) samples; return the tracker and its events."""
    tr = SessionTracker("desk-1", EVERY, gap=2, min_session=min_session)
    events = [ev for t, occ, staffed in samples if (ev := tr.update(start + t, occ, staffed)) is not None]
    return tr, events


def visit(t0, t1, staffed):
    return [(float(t), True, staffed) for t in range(int(t0), int(t1) + 1, int(EVERY))]


LEAVES = [(100.0, False, False), (102.0, False, False), (104.0, False, False)]


def test_a_citizen_at_an_empty_counter_waits_and_is_not_served():
    tr, events = run_staffed(visit(0, 30, False) + LEAVES)
    assert events == [] and tr.served_total == 0
    assert tr.discarded == {"no_officer": 1}


def test_service_starts_when_the_officer_arrives_and_the_wait_before_is_kept():
    samples = visit(0, 10, False) + visit(12, 40, True)
    tr, _ = run_staffed(samples[:6])  # 0..10 s, no officer yet
    assert tr.waiting_s() == 10.0 and tr.session_s() is None and tr.session_started_at() is None
    tr, events = run_staffed(samples + LEAVES)
    assert events == [ServiceCompleted("desk-1", 28.0, 1040.0, waited_s=12.0)]
    assert tr.discarded == {}


def test_the_officer_leaving_mid_service_does_not_cut_it():
    tr, events = run_staffed(visit(0, 10, True) + visit(12, 30, False) + LEAVES)
    assert [e.duration_s for e in events] == [30.0]


def test_unknown_staffing_throughout_is_its_own_reason_and_short_visits_are_passers_by():
    tr, _ = run_staffed(visit(0, 30, None) + LEAVES)
    assert tr.discarded == {"staff_unknown": 1} and tr.served_total == 0
    tr, _ = run_staffed(visit(0, 6, False) + LEAVES)
    assert tr.discarded == {"too_short": 1}
    # Served, but for less than min_session once the officer came.
    tr, _ = run_staffed(visit(0, 20, False) + visit(22, 26, True) + LEAVES)
    assert tr.discarded == {"too_short": 1} and tr.served_total == 0


def test_session_identity_is_its_start():
    tr, _ = run_staffed(visit(0, 20, True))
    assert tr.session_started_at() == 1000.0 and tr.session_s() == 20.0
