"""When to sample a keyframes-only camera: just after its keyframes arrive, not up to an interval later."""

from __future__ import annotations

ALIGN_MARGIN_S = 0.2
"""Sample this long after the expected keyframe: covers its decode time and arrival jitter."""

LATE_S = 0.5
"""A sampled frame older than this (or a keyframe this close to due) moves the camera's schedule."""


def next_sample_at(now: float, frame_ts: float, new_frame: bool, interval: float) -> float | None:
    """Return when a keyframes-only camera should next be sampled, or None to keep its schedule.

    Such a camera gets a new picture once per keyframe interval (<= the sample interval). Sampled at a
    fixed phase, the picture is on average half an interval old, up to a whole one: with a 2 s GOP and
    2 s sampling the lag alone could reach 2 s. So when a sample finds an old picture, the next one is
    moved to just after the keyframe that follows it (``frame_ts + interval + margin``); when a sample
    finds no new picture and the next keyframe is about due, it is retried shortly. A camera that stopped
    sending (no picture for much longer than an interval) keeps its schedule.

    >>> next_sample_at(10.0, 8.9, True, 2.0)  # a 1.1 s old keyframe: next sample 0.2 s after the next one
    11.1
    >>> next_sample_at(10.0, 9.9, True, 2.0) is None  # fresh enough
    True
    >>> next_sample_at(10.0, 8.1, False, 2.0)  # nothing new, next keyframe due in 0.1 s: retry soon
    10.2
    """
    if interval <= 0:
        return None
    age = now - frame_ts
    if new_frame:
        if age <= LATE_S:
            return None
        at = frame_ts + interval + ALIGN_MARGIN_S
        return round(at, 6) if at > now else None
    if interval - LATE_S <= age <= interval + LATE_S:
        return round(now + ALIGN_MARGIN_S, 6)
    return None
