"""The camera_moved rule: fires on a moved view in office hours, resolves when it is back, holds on unknown."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from monitor.alerts.payloads import alertmanager_payload, onestop_payload
from monitor.alerts.rules import RuleBook
from monitor.state.model import CameraReading, SiteSnapshot, ViewReading
from tests.alerts.helpers import TUESDAY_8AM, make_site, snap

RULE = {"kind": "camera_moved", "camera": "hall-1", "for": "1m", "clear_after": "30s"}


def view_snap(at: dt.datetime, ratio: float | None, moved: bool | None, *, up: bool = True,
              open: bool = True) -> SiteSnapshot:
    s = snap(at, open=open)
    view = ViewReading(ratio, moved, 0.03, TUESDAY_8AM.timestamp() - 3600, at.timestamp())
    camera = CameraReading("coc-leu", "hall-1", up, at.timestamp() if up else None, view=view)
    return replace(s, cameras={"hall-1": camera})


def run(book: RuleBook, start: dt.datetime, spec: list[tuple[float, dict[str, Any]]],
        until_s: float) -> list[tuple[float, Any]]:
    """Feed a snapshot every 10 s; spec is [(from_second, view_snap kwargs)]."""
    out, t = [], 0.0
    while t <= until_s:
        kwargs = next(kw for s, kw in reversed(spec) if t >= s)
        out += [(t, n) for n in book.evaluate(view_snap(start + dt.timedelta(seconds=t), **kwargs))]
        t += 10
    return out


def test_fires_after_for_and_resolves_when_back() -> None:
    book = RuleBook(make_site([RULE]))
    spec = [(0, {"ratio": 0.001, "moved": False}), (60, {"ratio": 0.07, "moved": True}),
            (300, {"ratio": 0.002, "moved": False})]
    events = run(book, TUESDAY_8AM, spec, until_s=400)
    assert [(t, n.status) for t, n in events] == [(120, "firing"), (330, "resolved")]
    firing = events[0][1]
    assert firing.kind == "camera_moved" and firing.subject == {"camera": "hall-1"}
    assert firing.values["shift_ratio"] == 0.07 and firing.values["threshold"] == 0.03
    assert firing.summary_vi == ("Camera 'hall-1' bị lệch hướng (lệch 7% khung hình) (Phường Cốc Lếu) trong 1 phút: "
                                 "số liệu các khu vực của camera tạm ngừng; hãy chỉnh lại camera hoặc vẽ lại khu vực")
    assert firing.summary_en == ("Camera 'hall-1' moved (shifted by 7% of the frame) (Phường Cốc Lếu) for 1 minute: "
                                 "its zones are unknown; re-aim the camera or redraw its zones")
    assert events[1][1].summary_en == "Camera 'hall-1' view back in place (Phường Cốc Lếu) after 4 minutes"
    assert onestop_payload(firing)["camera"] == "hall-1"
    labels = alertmanager_payload(firing, "sup")["alerts"][0]["labels"]
    assert labels["alertname"] == "OnestopCameraMoved" and labels["kind"] == "camera_moved"


def test_lost_view_says_no_percentage() -> None:
    book = RuleBook(make_site([{**RULE, "for": "0s"}]))
    events = run(book, TUESDAY_8AM, [(0, {"ratio": 1.0, "moved": True})], until_s=0)
    assert events[0][1].summary_en.startswith("Camera 'hall-1' moved (Phường Cốc Lếu) for 0 seconds")


def test_unknown_view_holds_the_state() -> None:
    book = RuleBook(make_site([RULE]))
    # Moved samples at 0, 10, 20 s hold 20 s (the interval ending on the unknown sample at 30 does not count);
    # then no reference, then camera down (both unknown) for 10 minutes; moved again from 630 s: 40 s more.
    spec = [(0, {"ratio": 0.07, "moved": True}), (30, {"ratio": None, "moved": None}),
            (330, {"ratio": 0.07, "moved": True, "up": False}), (630, {"ratio": 0.07, "moved": True})]
    events = run(book, TUESDAY_8AM, spec, until_s=700)
    assert [(t, n.status) for t, n in events] == [(670, "firing")]


def test_gated_by_office_hours() -> None:
    book = RuleBook(make_site([RULE]))
    night = TUESDAY_8AM.replace(hour=5)
    # Moved all night (a dark room, or really moved): nothing while closed; it fires `for` after the opening.
    spec = [(0, {"ratio": 1.0, "moved": True, "open": False}), (600, {"ratio": 1.0, "moved": True})]
    events = run(book, night, spec, until_s=700)
    assert [(t, n.status) for t, n in events] == [(660, "firing")]
    # Closing resolves a firing one at once.
    events = run(book, night + dt.timedelta(seconds=710), [(0, {"ratio": 1.0, "moved": True, "open": False})],
                 until_s=0)
    assert [(n.status, n.reason) for _, n in events] == [("resolved", "closed")]


def test_no_view_reading_is_unknown() -> None:
    book = RuleBook(make_site([{**RULE, "for": "0s"}]))
    assert book.evaluate(snap(TUESDAY_8AM)) == []
    assert book.active() == []
