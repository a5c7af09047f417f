"""Vietnamese and English one-line summaries of notifications, for people reading them on a phone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def duration_vi(seconds: float) -> str:
    """Return a duration in Vietnamese words: '45 giây', '10 phút', '1 giờ 5 phút'.

    >>> duration_vi(600)
    '10 phút'
    """
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} giây"
    h, m = divmod(s // 60, 60)
    if h == 0:
        return f"{m} phút"
    return f"{h} giờ" + (f" {m} phút" if m else "")


def duration_en(seconds: float) -> str:
    """Return a duration in English words: '45 seconds', '10 minutes', '1 hour 5 minutes'."""
    s = max(0, int(round(seconds)))

    def unit(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    if s < 60:
        return unit(s, "second")
    h, m = divmod(s // 60, 60)
    if h == 0:
        return unit(m, "minute")
    return unit(h, "hour") + (f" {unit(m, 'minute')}" if m else "")


def _people(n: Any) -> int:
    return int(round(float(n))) if n is not None else 0


_CLOSED = (" (hết giờ làm việc)", " (office closed)")
_CHANGED = (" (quy tắc cảnh báo đã thay đổi)", " (alert rule changed)")


def _reason(reason: str | None) -> tuple[str, str]:
    return _CLOSED if reason == "closed" else _CHANGED if reason == "config_changed" else ("", "")


def long_queue(status: str, site: str, zone: str, v: Mapping[str, Any],
               reason: str | None) -> tuple[str, str]:
    """Return (vi, en) for a long queue."""
    n, d = _people(v.get("people")), float(v.get("duration_s") or 0)
    if status == "firing":
        return (f"Hàng chờ dài tại khu vực '{zone}' ({site}): {n} người trong {duration_vi(d)}",
                f"Long queue in zone '{zone}' ({site}): {n} people for {duration_en(d)}")
    rv, re_ = _reason(reason)
    return (f"Hết hàng chờ dài tại khu vực '{zone}' ({site}): còn {n} người, kéo dài {duration_vi(d)}{rv}",
            f"Long queue over in zone '{zone}' ({site}): {n} people left, lasted {duration_en(d)}{re_}")


def counter_unstaffed(status: str, site: str, counter: str, v: Mapping[str, Any],
                      reason: str | None) -> tuple[str, str]:
    """Return (vi, en) for a counter without an officer."""
    d, waiting = float(v.get("duration_s") or 0), v.get("waiting")
    if status == "firing":
        wv = f", {_people(waiting)} người đang chờ" if waiting else ""
        we = f", {_people(waiting)} people waiting" if waiting else ""
        return (f"Quầy '{counter}' không có cán bộ ({site}) trong {duration_vi(d)}{wv}",
                f"Counter '{counter}' unstaffed ({site}) for {duration_en(d)}{we}")
    rv, re_ = _reason(reason)
    if reason in ("closed", "config_changed"):
        return (f"Kết thúc cảnh báo quầy '{counter}' không có cán bộ ({site}){rv}",
                f"Counter '{counter}' unstaffed alert ended ({site}){re_}")
    return (f"Quầy '{counter}' đã có cán bộ trở lại ({site}), sau {duration_vi(d)}",
            f"Counter '{counter}' staffed again ({site}) after {duration_en(d)}")


def long_service(status: str, site: str, counter: str, v: Mapping[str, Any],
                 reason: str | None) -> tuple[str, str]:
    """Return (vi, en) for one citizen served for a long time."""
    d = float(v.get("session_s") or v.get("duration_s") or 0)
    if status == "firing":
        return (f"Một công dân ở quầy '{counter}' ({site}) đã {duration_vi(d)}",
                f"One citizen at counter '{counter}' ({site}) for {duration_en(d)}")
    rv, re_ = _reason(reason)
    return (f"Kết thúc phục vụ kéo dài tại quầy '{counter}' ({site}){rv}",
            f"Long service at counter '{counter}' over ({site}){re_}")


def camera_down(status: str, site: str, camera: str, v: Mapping[str, Any],
                reason: str | None) -> tuple[str, str]:
    """Return (vi, en) for a camera without frames."""
    d = float(v.get("duration_s") or 0)
    if status == "firing":
        err = f" ({v['error']})" if v.get("error") else ""
        return (f"Camera '{camera}' mất tín hiệu ({site}) trong {duration_vi(d)}{err}",
                f"Camera '{camera}' down ({site}) for {duration_en(d)}{err}")
    rv, re_ = _reason(reason)
    return (f"Camera '{camera}' đã hoạt động trở lại ({site}), sau {duration_vi(d)}{rv}",
            f"Camera '{camera}' back up ({site}) after {duration_en(d)}{re_}")


def camera_moved(status: str, site: str, camera: str, v: Mapping[str, Any],
                 reason: str | None) -> tuple[str, str]:
    """Return (vi, en) for a camera whose view moved away from its zones."""
    d = float(v.get("duration_s") or 0)
    ratio = v.get("shift_ratio")
    if status == "firing":
        pct = round(100 * float(ratio)) if ratio is not None and float(ratio) < 1 else None
        shift_vi = f" (lệch {pct}% khung hình)" if pct is not None else ""
        shift_en = f" (shifted by {pct}% of the frame)" if pct is not None else ""
        return (f"Camera '{camera}' bị lệch hướng{shift_vi} ({site}) trong {duration_vi(d)}: số liệu các khu vực của "
                f"camera tạm ngừng; hãy chỉnh lại camera hoặc vẽ lại khu vực",
                f"Camera '{camera}' moved{shift_en} ({site}) for {duration_en(d)}: its zones are unknown; re-aim the "
                f"camera or redraw its zones")
    rv, re_ = _reason(reason)
    if reason in ("closed", "config_changed"):
        return (f"Kết thúc cảnh báo camera '{camera}' bị lệch hướng ({site}){rv}",
                f"Camera '{camera}' moved alert ended ({site}){re_}")
    return (f"Camera '{camera}' đã về đúng hướng ({site}), sau {duration_vi(d)}",
            f"Camera '{camera}' view back in place ({site}) after {duration_en(d)}")


def describe(kind: str, status: str, site: str, name: str, v: Mapping[str, Any],
             reason: str | None) -> tuple[str, str]:
    """Return (vi, en) for an event of a rule of ``kind`` about the subject ``name``."""
    fn = {"long_queue": long_queue, "counter_unstaffed": counter_unstaffed, "long_service": long_service,
          "camera_down": camera_down, "camera_moved": camera_moved}.get(kind)
    if fn is None:
        return (f"Cảnh báo '{kind}' ({site})", f"Alert '{kind}' ({site})")
    return fn(status, site, name, v, reason)


def message_for_test(site: str, target: str) -> tuple[str, str]:
    """Return (vi, en) for a test notification."""
    return (f"Thông báo thử nghiệm từ onestop-monitor ({site}) tới '{target}'",
            f"Test notification from onestop-monitor ({site}) to '{target}'")


def daily_summary(site: str, v: Mapping[str, Any]) -> tuple[str, str]:
    """Return (vi, en) for the daily summary: queue peak, staffed ratio per counter, alerts, served."""
    day = str(v.get("date", ""))
    y, m, d = (day.split("-") + ["", "", ""])[:3]
    peaks = v.get("queue_peaks") or {}
    top = max(peaks.items(), key=lambda kv: kv[1].get("people") or 0, default=None)
    if top:
        peak_vi = f"hàng chờ đông nhất {_people(top[1]['people'])} người ('{top[0]}')"
        peak_en = f"longest queue {_people(top[1]['people'])} people ('{top[0]}')"
    else:
        peak_vi, peak_en = "không có số liệu hàng chờ", "no queue data"
    ratios = [f"{cid} {round(100 * c['staffed_ratio'])}%" for cid, c in (v.get("counters") or {}).items()
              if c.get("staffed_ratio") is not None]
    staff_vi = f"; tỷ lệ có cán bộ: {', '.join(ratios)}" if ratios else ""
    staff_en = f"; staffed: {', '.join(ratios)}" if ratios else ""
    n_alerts, served = int(v.get("alerts_count") or 0), int(v.get("served_total") or 0)
    return (f"Tổng kết ngày {d}/{m}/{y} ({site}): {peak_vi}{staff_vi}; {n_alerts} cảnh báo; "
            f"{served} lượt phục vụ",
            f"Daily summary {day} ({site}): {peak_en}{staff_en}; {n_alerts} alert(s); "
            f"{served} citizen(s) served")
