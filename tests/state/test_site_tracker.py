import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from monitor.config import CameraConfig, CounterConfig, SiteConfig, SmoothingConfig, ZoneConfig
from monitor.schedule.calendar import SiteCalendar
from monitor.state.model import CameraReading
from monitor.state.sessions import ServiceCompleted
from monitor.state.tracker import SiteTracker

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=VN).timestamp()  # a Tuesday, office open
EVENING = dt.datetime(2026, 12, 1, 20, 0, tzinfo=VN).timestamp()
SQ = [(0, 0), (1, 0), (1, 1), (0, 1)]
SMOOTHING = SmoothingConfig(window=3, session_gap=2, min_session=10, service_history=5)


def z(id, kind, counter=None):
    return ZoneConfig(id=id, kind=kind, counter=counter, polygon=SQ)


HALL = CameraConfig(id="hall", url="rtsp://127.0.0.1:8554/hall", sample_every=2, stale_after=3, zones=[
    z("waiting", "queue"), z("desk-1-staff", "staff", "desk-1"), z("desk-1-front", "service", "desk-1")])
DESK2 = CameraConfig(id="desk2-cam", url="rtsp://127.0.0.1:8554/d2", sample_every=1, stale_after=5, zones=[
    z("desk-2-staff", "staff", "desk-2"), z("desk-2-front", "service", "desk-2"),
    z("desk-2-queue", "queue", "desk-2")])
SIDE = CameraConfig(id="side", url="rtsp://127.0.0.1:8554/side", sample_every=2, stale_after=3,
                    zones=[z("desk-1-staff-side", "staff", "desk-1")])


def tracker(*cameras):
    site = SiteConfig(id="coc-leu", name="Phường Cốc Lếu",
                      counters=[CounterConfig(id="desk-1"), CounterConfig(id="desk-2", name="Quầy 2"),
                                CounterConfig(id="desk-3")],
                      cameras=list(cameras or (HALL, DESK2)))
    return SiteTracker(site, SMOOTHING, SiteCalendar(site))


def at(t):
    return dt.datetime.fromtimestamp(t, dt.UTC)


def hall(tr, t, waiting=0, staff=0, front=0):
    return tr.observe("hall", t, {"waiting": waiting, "desk-1-staff": staff, "desk-1-front": front})


def desk2(tr, t, staff=0, front=0, queue=0):
    return tr.observe("desk2-cam", t, {"desk-2-staff": staff, "desk-2-front": front, "desk-2-queue": queue})


def serve(tr, feed, t, length, **kw):
    """One citizen at a counter front from t to t+length (every 2 s), then an empty front; return events."""
    events = []
    for s in range(0, length + 1, 2):
        events += feed(tr, t + s, front=1, **kw)
    for s in (2, 4, 6):
        events += feed(tr, t + length + s, front=0, **kw)
    return events


def test_everything_is_unknown_before_the_first_sample():
    snap = tracker().snapshot(at(T0))
    assert snap.open and snap.site == "coc-leu"
    assert set(snap.zones) == {"waiting", "desk-1-staff", "desk-1-front", "desk-2-staff", "desk-2-front",
                               "desk-2-queue"}
    assert all(r.value is None and r.raw is None and r.age_s is None for r in snap.zones.values())
    assert all(c.staffed is None and c.state is None for c in snap.counters.values())
    assert snap.counters["desk-2"].name == "Quầy 2"
    assert snap.cameras["hall"] == CameraReading("coc-leu", "hall", up=False, last_frame_ts=None)


def test_values_are_medians_of_the_last_samples():
    tr = tracker()
    for i, n in enumerate([3, 0, 3, 4]):
        hall(tr, T0 + 2 * i, waiting=n)
    r = tr.snapshot(at(T0 + 6)).zones["waiting"]
    assert (r.value, r.raw, r.age_s, r.camera, r.kind, r.counter) == (3, 4, 0.0, "hall", "queue", None)


def test_a_stale_camera_makes_its_zones_unknown_never_zero():
    tr = tracker()
    hall(tr, T0, waiting=2, staff=1, front=1)
    desk2(tr, T0, staff=1)
    fresh = tr.snapshot(at(T0 + 5))      # desk2-cam: 1 s x 5 = 5 s limit; hall: 2 s x 3 = 6 s
    assert fresh.zones["desk-2-staff"].value == 1 and fresh.counters["desk-2"].staffed is True
    snap = tr.snapshot(at(T0 + 5.5))
    assert snap.zones["desk-2-staff"].value is None and snap.zones["desk-2-staff"].age_s == 5.5
    assert snap.counters["desk-2"].staffed is None and snap.counters["desk-2"].state is None
    assert snap.zones["waiting"].value == 2 and snap.counters["desk-1"].state == "serving"
    snap = tr.snapshot(at(T0 + 6.5))
    r = snap.zones["waiting"]
    assert (r.value, r.raw, r.age_s) == (None, None, 6.5)
    c = snap.counters["desk-1"]
    assert (c.staffed, c.state, c.front_people, c.session_s) == (None, None, None, None)


def test_the_window_restarts_after_an_outage():
    tr = tracker()
    for i in range(3):
        hall(tr, T0 + 2 * i, waiting=3)
    hall(tr, T0 + 100, waiting=0)
    assert tr.snapshot(at(T0 + 100)).zones["waiting"].value == 0  # not the median of 3, 3, 0
    hall(tr, T0 + 102, waiting=3)
    assert tr.snapshot(at(T0 + 102)).zones["waiting"].value == 1.5


@pytest.mark.parametrize("staff, front, waiting, state", [
    (1, 1, 0, "serving"),
    (1, 0, 3, "idle_staffed"),
    (0, 1, 0, "waiting_unstaffed"),
    (0, 0, 2, "waiting_unstaffed"),
    (0, 0, 0, "unstaffed"),
    (2, 0, 0, "idle_staffed"),
])
def test_counter_state_from_zone_counts(staff, front, waiting, state):
    tr = tracker()
    hall(tr, T0, waiting=waiting, staff=staff, front=front)
    c = tr.snapshot(at(T0 + 1)).counters["desk-1"]
    assert (c.staffed, c.state, c.front_people) == (staff >= 1, state, front)


def test_closed_outside_office_hours_but_zones_still_measured():
    tr = tracker()
    hall(tr, EVENING, waiting=1, staff=1, front=1)
    snap = tr.snapshot(at(EVENING))
    assert not snap.open
    assert {c.state for c in snap.counters.values()} == {"closed"}
    assert snap.zones["waiting"].value == 1 and snap.counters["desk-1"].staffed is True


def test_a_counter_without_zones_has_unknown_staffing():
    tr = tracker()
    hall(tr, T0)
    desk2(tr, T0)
    c = tr.snapshot(at(T0)).counters["desk-3"]
    assert (c.staffed, c.state, c.front_people, c.session_s) == (None, None, None, None)
    assert tr.snapshot(at(EVENING)).counters["desk-3"].state == "closed"


def test_a_counter_with_its_own_queue_ignores_the_shared_one():
    tr = tracker()
    hall(tr, T0, waiting=5)
    desk2(tr, T0, queue=0)
    snap = tr.snapshot(at(T0))
    assert snap.counters["desk-1"].state == "waiting_unstaffed"  # the shared waiting area
    assert snap.counters["desk-2"].state == "unstaffed"          # its own queue is empty
    desk2(tr, T0 + 1, queue=1)
    desk2(tr, T0 + 2, queue=1)
    assert tr.snapshot(at(T0 + 2)).counters["desk-2"].state == "waiting_unstaffed"


def test_a_counter_watched_by_two_cameras():
    tr = tracker(HALL, SIDE)
    hall(tr, T0, staff=0)
    assert tr.snapshot(at(T0)).counters["desk-1"].staffed is None  # the side camera has not spoken yet
    tr.observe("side", T0, {"desk-1-staff-side": 1})
    assert tr.snapshot(at(T0)).counters["desk-1"].staffed is True  # one camera seeing the officer is enough
    tr.observe("side", T0 + 2, {"desk-1-staff-side": 0})
    tr.observe("side", T0 + 4, {"desk-1-staff-side": 0})
    hall(tr, T0 + 10)
    assert tr.snapshot(at(T0 + 10)).counters["desk-1"].staffed is False
    assert tr.snapshot(at(T0 + 10.5)).counters["desk-1"].staffed is None  # side stale, hall says nobody
    hall(tr, T0 + 12, staff=1)
    hall(tr, T0 + 14, staff=1)
    assert tr.snapshot(at(T0 + 14)).counters["desk-1"].staffed is True   # hall alone decides it


def test_zones_missing_from_a_sample_keep_their_state_and_age():
    tr = tracker()
    hall(tr, T0, waiting=2, staff=1)
    for s in (2, 4, 6, 8):
        tr.observe("hall", T0 + s, {"desk-1-staff": 1, "desk-1-front": 0})  # e.g. the head model did not run
    snap = tr.snapshot(at(T0 + 8))
    assert snap.zones["waiting"].value is None and snap.zones["waiting"].age_s == 8
    assert snap.zones["desk-1-staff"].value == 1


def test_unknown_cameras_zones_and_late_samples_are_ignored():
    tr = tracker()
    assert tr.observe("nope", T0, {"waiting": 9}) == []
    assert tr.zone_ids("nope") is None
    assert tr.zone_ids("hall") == {"waiting", "desk-1-staff", "desk-1-front"}
    tr.observe("hall", T0, {"waiting": 2, "ghost": 7})
    hall(tr, T0 - 10, waiting=9)   # older than the last sample
    hall(tr, T0, waiting=9)        # the same instant again
    snap = tr.snapshot(at(T0))
    assert snap.zones["waiting"].value == 2 and "ghost" not in snap.zones


def test_service_sessions_are_reported_and_summed_per_counter():
    tr = tracker()
    events = serve(tr, hall, T0, 20, staff=1)
    assert events == [ServiceCompleted("desk-1", 20.0, T0 + 20)]
    c = tr.snapshot(at(T0 + 26)).counters["desk-1"]
    assert (c.served_total, c.mean_service_s, c.session_s) == (1, 20.0, None)
    events = serve(tr, hall, T0 + 40, 40, staff=1)
    assert [e.duration_s for e in events] == [40.0]
    c = tr.snapshot(at(T0 + 86)).counters["desk-1"]
    assert (c.served_total, c.mean_service_s) == (2, 30.0)
    assert tr.snapshot(at(T0 + 86)).counters["desk-2"].served_total == 0


def test_the_current_session_length_is_known_only_while_the_camera_is():
    tr = tracker()
    for s in range(0, 12, 2):
        hall(tr, T0 + s, staff=1, front=1)
    assert tr.snapshot(at(T0 + 10)).counters["desk-1"].session_s == 10.0
    assert tr.snapshot(at(T0 + 17)).counters["desk-1"].session_s is None  # stale: unknown, not over


def test_estimated_wait_by_littles_law():
    tr = tracker()
    assert serve(tr, hall, T0, 20, staff=1) and serve(tr, hall, T0 + 40, 40, staff=1)  # desk-1: 20 s, 40 s
    assert serve(tr, desk2, T0 + 100, 60, staff=1)                                    # desk-2: 60 s
    t = T0 + 200
    for s in (0, 1, 2):
        hall(tr, t + s, waiting=4, staff=1)
        desk2(tr, t + s, staff=1, queue=3)
    snap = tr.snapshot(at(t + 2))
    # Shared queue: 4 people x mean of all recent services (40 s) / 2 staffed counters.
    assert snap.zones["waiting"].estimated_wait_s == pytest.approx(80.0)
    # Own queue of desk-2: 3 people x its own mean (60 s) / 1.
    assert snap.zones["desk-2-queue"].estimated_wait_s == pytest.approx(180.0)
    assert snap.zones["desk-1-staff"].estimated_wait_s is None  # only queue zones get one
    for s in (3, 4, 5):
        desk2(tr, t + s, staff=0, queue=3)
        hall(tr, t + s, waiting=4, staff=1)
    snap = tr.snapshot(at(t + 5))
    assert snap.zones["waiting"].estimated_wait_s == pytest.approx(160.0)  # one staffed counter left
    assert snap.zones["desk-2-queue"].estimated_wait_s is None              # nobody serves it
    assert tr.snapshot(at(t + 20)).zones["waiting"].estimated_wait_s is None  # stale queue


def test_no_estimated_wait_without_service_history():
    tr = tracker()
    hall(tr, T0, waiting=4, staff=1)
    assert tr.snapshot(at(T0)).zones["waiting"].estimated_wait_s is None


def test_camera_health_is_passed_through():
    tr = tracker()
    reading = CameraReading("coc-leu", "hall", up=True, last_frame_ts=T0, reconnects=2, decode_mode="opencv")
    tr.camera_health("hall", reading)
    tr.camera_health("nope", reading)
    snap = tr.snapshot(at(T0))
    assert snap.cameras["hall"] == reading and set(snap.cameras) == {"hall", "desk2-cam"}
    assert snap.cameras["desk2-cam"].up is False


def test_reset_camera_forgets_its_zones_and_can_replace_them():
    tr = tracker()
    serve(tr, hall, T0, 20, staff=1)
    hall(tr, T0 + 30, waiting=2, staff=1, front=1)
    desk2(tr, T0 + 30, staff=1)
    tr.reset_camera("hall")
    snap = tr.snapshot(at(T0 + 30))
    assert snap.zones["waiting"].value is None and snap.counters["desk-1"].session_s is None
    assert snap.zones["desk-2-staff"].value == 1           # other cameras untouched
    assert snap.counters["desk-1"].served_total == 1       # history kept
    zones = [z("waiting-left", "queue"), z("desk-1-staff", "staff", "desk-1")]
    new = HALL.model_copy(update={"zones": zones})
    tr.reset_camera("hall", new)
    assert tr.zone_ids("hall") == {"waiting-left", "desk-1-staff"}
    tr.observe("hall", T0 + 32, {"waiting-left": 1, "desk-1-staff": 1, "waiting": 5})
    snap = tr.snapshot(at(T0 + 32))
    assert "waiting" not in snap.zones and "desk-1-front" not in snap.zones
    assert snap.zones["waiting-left"].value == 1 and snap.counters["desk-1"].state == "idle_staffed"
    with pytest.raises(ValueError):
        tr.reset_camera("hall", DESK2)


def test_snapshot_needs_an_aware_time_and_changes_nothing():
    tr = tracker()
    hall(tr, T0, waiting=1)
    with pytest.raises(ValueError):
        tr.snapshot(dt.datetime(2026, 12, 1, 9, 0))
    a, b = tr.snapshot(at(T0 + 1)), tr.snapshot(at(T0 + 1))
    assert a == b


# --- service needs an officer (counters with a staff zone) -------------------------------------------------------

def test_a_front_visit_without_an_officer_is_waiting_not_served():
    tr = tracker()
    events = serve(tr, hall, T0, 30, staff=0)
    assert events == []
    snap = tr.snapshot(at(T0 + 36))
    c = snap.counters["desk-1"]
    assert (c.served_total, c.session_s, c.staff_zone) == (0, None, True)
    assert c.discarded == {"no_officer": 1}
    # While the citizen stands there the counter says so, with how long they have waited.
    tr = tracker()
    for s in range(0, 22, 2):
        hall(tr, T0 + s, staff=0, front=1)
    c = tr.snapshot(at(T0 + 20)).counters["desk-1"]
    assert c.state == "waiting_unstaffed" and c.front_wait_s == 20.0 and c.session_s is None


def test_officer_on_another_camera_makes_the_service():
    tr = tracker(HALL, SIDE)
    # desk-1's officer is seen by the side camera only; the hall camera sees the citizen at the front.
    for s in range(0, 32, 2):
        tr.observe("side", T0 + s, {"desk-1-staff-side": 1 if s >= 10 else 0})
        hall(tr, T0 + s, front=1)
    events = []
    for s in (32, 34, 36):
        tr.observe("side", T0 + s, {"desk-1-staff-side": 1})
        events += hall(tr, T0 + s, front=0)
    # The median window (3 samples) sees the officer from t=12; the service runs from there to t=30.
    assert [(e.duration_s, e.waited_s) for e in events] == [(18.0, 12.0)]


def test_a_counter_without_staff_zone_counts_every_visit_and_says_so():
    front_only = CameraConfig(id="front", url="rtsp://127.0.0.1:8554/f", sample_every=2, zones=[
        z("desk-3-front", "service", "desk-3")])
    tr = tracker(front_only)
    events = []
    for s in range(0, 22, 2):
        events += tr.observe("front", T0 + s, {"desk-3-front": 1})
    for s in (22, 24, 26):
        events += tr.observe("front", T0 + s, {"desk-3-front": 0})
    assert [e.duration_s for e in events] == [20.0]
    c = tr.snapshot(at(T0 + 26)).counters["desk-3"]
    assert c.staff_zone is False and c.staffed is None and c.served_total == 1


def test_forget_camera_removes_it_from_snapshots_and_keeps_the_counters_history():
    tr = tracker(HALL, DESK2, SIDE)
    serve(tr, hall, T0, 20, staff=1)
    reading = CameraReading("coc-leu", "side", up=True, last_frame_ts=T0)
    tr.camera_health("side", reading)
    tr.view_moved("side", True)
    tr.forget_camera("side")
    tr.forget_camera("never-had-it")  # nothing to forget: no error
    snap = tr.snapshot(at(T0 + 30))
    assert set(snap.cameras) == {"hall", "desk2-cam"} and "desk-1-staff-side" not in snap.zones
    assert snap.counters["desk-1"].served_total == 1
    assert tr.zone_ids("side") is None and tr.observe("side", T0 + 31, {"desk-1-staff-side": 1}) == []
    tr.reset_camera("side", SIDE)  # the same id may come back later, fresh
    snap = tr.snapshot(at(T0 + 32))
    assert snap.cameras["side"].up is False and snap.zones["desk-1-staff-side"].value is None
