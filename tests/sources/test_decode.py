"""Pure decisions of the sources stage: decode mode, keyframe spacing, sizes, backoff, type guessing."""

from __future__ import annotations

import pytest

from monitor.config import CameraConfig
from monitor.sources import (
    Backoff,
    DecodePolicy,
    FileSource,
    ImageSource,
    KeyframeClock,
    SnapshotSource,
    StallWatch,
    StreamSource,
    VideoTimeSampler,
    choose_decode_mode,
    guess_type,
    open_source,
    size_problem,
)


@pytest.mark.parametrize(("sample_every", "keyframe_interval", "mode"), [
    (2.0, 1.0, "keyframes"),     # typical: GOP 1 s, sample every 2 s
    (2.0, 2.0, "keyframes"),     # a keyframe per sample is enough
    (5.0, 4.0, "keyframes"),
    (1.0, 2.0, "all"),           # keyframes too rare: decode everything, keep the newest
    (0.5, 1.0, "all"),
    (2.0, 2.5, "all"),
    (2.0, None, "all"),          # spacing unknown yet
    (2.0, 0.0, "all"),           # nonsense spacing
    (30.0, 0.04, "keyframes"),   # MJPEG / all-intra: every frame is a keyframe
])
def test_choose_decode_mode(sample_every: float, keyframe_interval: float | None, mode: str) -> None:
    assert choose_decode_mode(sample_every, keyframe_interval) == mode


def test_keyframe_clock_uses_longest_recent_gap_and_restarts_on_jump_back() -> None:
    clock = KeyframeClock(window=4)
    assert clock.interval() is None
    clock.add(10.0)
    assert clock.interval() is None
    for t in (11.0, 12.0, 15.0):  # a "smart codec" stretched one GOP to 3 s
        clock.add(t)
    assert clock.interval() == pytest.approx(3.0)
    for t in (16.0, 17.0, 18.0):  # the long gap leaves the window
        clock.add(t)
    assert clock.interval() == pytest.approx(1.0)
    clock.add(0.5)  # file looped / camera restarted its clock
    assert clock.interval() is None
    clock.add(2.5)
    assert clock.interval() == pytest.approx(2.0)


@pytest.mark.parametrize(("w", "h", "bad"), [
    (768, 432, False), (7680, 4320, False), (4320, 7680, False), (8192, 1024, False),
    (0, 0, True), (0, 480, True), (640, -1, True), (7681, 4320, True), (8193, 64, True), (16384, 16384, True),
])
def test_size_problem(w: int, h: int, bad: bool) -> None:
    assert (size_problem(w, h) is not None) is bad


def test_backoff_doubles_to_the_cap_and_resets() -> None:
    b = Backoff(1.0, 30.0)
    assert [b.next() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    b.reset()
    assert b.next() == 1


@pytest.mark.parametrize(("url", "kind"), [
    ("rtsp://cam.local:554/Streaming/Channels/101", "stream"),
    ("rtsp://user:pw@10.0.0.5/h264", "stream"),
    ("rtmp://10.0.0.5/live/cam", "stream"),
    ("http://10.0.0.5/video.mjpg", "stream"),
    ("https://cam.example/live/index.m3u8", "stream"),
    ("http://10.0.0.5/cgi-bin/snapshot.cgi?channel=1", "snapshot"),
    ("http://10.0.0.5/ISAPI/Streaming/channels/101/picture.JPG", "snapshot"),
    ("https://cam.example/still.jpeg", "snapshot"),
    ("https://cam.example/Snapshot/1/current", "snapshot"),
    ("http://cam.example/img.png", "snapshot"),
    ("/srv/demo/counter.jpg", "image"),
    ("demo/counter.PNG", "image"),
    ("file:///srv/demo/frame.webp", "image"),
    ("/srv/demo/counter.mp4", "file"),
    ("file:///srv/demo/clip%20one.avi", "file"),
    ("recordings/cam1", "file"),
])
def test_guess_type(url: str, kind: str) -> None:
    assert guess_type(url) == kind


@pytest.mark.parametrize(("url", "type_", "cls"), [
    ("rtsp://10.0.0.5/h264", "auto", StreamSource),
    ("/srv/a.mp4", "auto", FileSource),
    ("/srv/a.jpg", "auto", ImageSource),
    ("http://10.0.0.5/snap.jpg", "auto", SnapshotSource),
    ("http://10.0.0.5/api/current", "snapshot", SnapshotSource),  # explicit type wins over the guess
    ("/srv/fifo", "stream", StreamSource),
    ("http://10.0.0.5/clip.mp4", "file", FileSource),
])
def test_open_source_picks_the_class(url: str, type_: str, cls: type) -> None:
    src = open_source(CameraConfig(id="c", url=url, type=type_))  # type: ignore[arg-type]
    assert type(src) is cls
    assert not src.running and src.latest() is None
    assert src.status().up is False


def test_keyframe_clock_counts_the_slices_of_one_keyframe_once() -> None:
    clock = KeyframeClock()
    for t in (0.0, 0.0, 0.0, 2.0, 2.0, 4.0, 4.0, 4.0):  # multi-slice keyframes: several packets, one time
        clock.add(t)
    assert clock.interval() == pytest.approx(2.0)


@pytest.mark.parametrize(("every", "keyframes", "modes"), [
    (2.0, [0.0, 1.0, 2.0], ["all", "keyframes", "keyframes"]),  # GOP 1 s, sampled every 2 s
    (0.5, [0.0, 1.0, 2.0], ["all", "all", "all"]),  # keyframes too rare for the interval
    (2.0, [0.0, 2.0, 6.0, 8.0], ["all", "keyframes", "all", "all"]),  # a stretched GOP: the longest gap counts
    (2.0, [0.0, 0.0, 0.0, 1.0], ["all", "all", "all", "keyframes"]),  # slices of one keyframe count once
])
def test_decode_policy_decides_at_each_keyframe(every: float, keyframes: list[float], modes: list[str]) -> None:
    policy = DecodePolicy(every)
    assert policy.mode == "all" and not policy.keyed
    seen, changes = [], 0
    for t in keyframes:
        changes += policy.keyframe(t)
        seen.append(policy.mode)
    assert seen == modes and policy.keyed
    assert changes == sum(a != b for a, b in zip(["all", *modes], modes, strict=False))


def test_stall_limit_follows_the_keyframe_spacing() -> None:
    watch = StallWatch(20.0, now=100.0)
    assert watch.problem(120.0) is None and "21 s" in (watch.problem(121.0) or "")
    watch.keyframes_every(10.0)  # a keyframes-only reader of a 10 s GOP goes 10 s without a picture
    assert watch.limit_s == 30.0 and watch.problem(121.0) is None
    watch.picture(125.0)
    assert watch.problem(155.0) is None and watch.problem(155.5) is not None
    watch.keyframes_every(None)
    assert watch.limit_s == 20.0


@pytest.mark.parametrize(("every", "times", "taken"), [
    (1.0, [0.0, 0.04, 0.96, 1.0, 1.04, 2.0], [0.0, 1.0, 2.0]),
    (1.0, [5.0, 5.5, 6.0, 8.5, 8.6, 9.0], [5.0, 6.0, 8.5, 9.0]),  # from the first frame; a gap yields one frame
    (0.3, [i * 0.04 for i in range(16)], [0.0, 0.32, 0.6]),  # the grid, not the last frame + 0.3 (0.64)
    (30.0, [0.0, 29.999999, 60.0], [0.0, 29.999999, 60.0]),  # within 1e-6: a rational time at a float target
])
def test_video_time_sampler_takes_the_first_frame_at_or_after_each_multiple(every: float, times: list[float],
                                                                             taken: list[float]) -> None:
    sampler = VideoTimeSampler(every)
    assert [t for t in times if sampler.take(t)] == pytest.approx(taken)


def test_video_time_sampler_restarts_at_a_loop_and_refuses_no_interval() -> None:
    sampler = VideoTimeSampler(2.0)
    assert [t for t in (0.0, 1.0, 2.0, 3.0) if sampler.take(t)] == [0.0, 2.0]
    sampler.restart()
    assert sampler.take(0.5) and sampler.origin == 0.5 and not sampler.take(2.0) and sampler.take(2.5)
    with pytest.raises(ValueError):
        VideoTimeSampler(0.0)
