from monitor.pipeline.queue import SampleQueue


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_fifo_within_a_camera_and_round_robin_across_cameras():
    q = SampleQueue(per_camera=3)
    for i in range(3):
        q.put("a", f"a{i}")
    q.put("b", "b0")
    q.put("c", "c0")
    got = [e.item for e in q.take(10, timeout=0)]
    assert got[:3] == ["a0", "b0", "c0"]
    assert got[3:] == ["a1", "a2"]


def test_full_camera_drops_its_oldest_and_reports_it():
    drops = []
    q = SampleQueue(per_camera=2, on_drop=lambda cam, why: drops.append((cam, why)))
    for i in range(4):
        q.put("a", i)
    q.put("b", "x")
    assert drops == [("a", "overload"), ("a", "overload")]
    assert sorted(str(e.item) for e in q.take(10, timeout=0)) == ["2", "3", "x"]
    assert len(q) == 0


def test_batch_limit_is_fair_to_a_quiet_camera():
    q = SampleQueue(per_camera=10)
    for i in range(10):
        q.put("busy", i)
    q.put("quiet", "q")
    first = [e.camera for e in q.take(2, timeout=0)]
    assert first == ["busy", "quiet"]


def test_stale_samples_are_dropped_when_taken():
    clock = FakeClock()
    drops = []
    q = SampleQueue(per_camera=2, max_age=5.0, on_drop=lambda cam, why: drops.append(why), clock=clock)
    q.put("a", "old")
    clock.t = 10.0
    q.put("b", "new")
    assert [e.item for e in q.take(5, timeout=0)] == ["new"]
    assert drops == ["stale"]


def test_take_times_out_empty_and_close_wakes():
    q = SampleQueue()
    assert q.take(4, timeout=0.01) == []
    q.close()
    assert q.take(4) == []


def test_memory_is_bounded_by_cameras_times_depth():
    q = SampleQueue(per_camera=2)
    for i in range(1000):
        q.put(f"cam{i % 5}", i)
    assert len(q) == 10
