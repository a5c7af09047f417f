"""Columns of every report level: JSON key, Vietnamese and English header with unit, number kind, definition.

One table drives the JSON schema documentation, the CSV and XLSX columns and the definitions sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "int", "number", "hours", "share", "minutes", "seconds", "people"]
Level = Literal["province", "site", "counter", "zone", "ranking"]
ALERT_KINDS = ("long_queue", "counter_unstaffed", "long_service", "camera_down")


@dataclass(frozen=True)
class Column:
    """One figure of a report row."""

    key: str
    vi: str
    en: str
    kind: Kind
    definition_en: str = ""
    definition_vi: str = ""

    def header(self, language: str) -> str:
        """Return the column header with its unit in ``language`` ('vi' or 'en')."""
        return self.vi if language == "vi" else self.en


def _c(key: str, vi: str, en: str, kind: Kind, den: str = "", dvi: str = "") -> Column:
    return Column(key, vi, en, kind, den, dvi)


PERIOD = _c("period", "Kỳ", "Period", "text", "Day (2026-12-01), ISO week (2026-W49), month (2026-12) or range.",
            "Ngày, tuần ISO, tháng hoặc khoảng thời gian.")
PROVINCE = _c("province", "Tỉnh/Thành phố", "Province", "text")
SITE = _c("site", "Mã đơn vị", "Site id", "text")
SITE_NAME = _c("site_name", "Phường/Xã", "Ward", "text")
COUNTER = _c("counter", "Mã quầy", "Counter id", "text")
COUNTER_NAME = _c("counter_name", "Quầy", "Counter", "text")
STATUS = _c("status", "Trạng thái", "Status", "text",
            "open: office hours in the period, with data; closed: no office hours at all (weekend, holiday: "
            "figures are empty, not zero); no_data: office hours but nothing recorded (service or camera down); "
            "future: office hours not reached yet.",
            "open: có giờ làm việc và có dữ liệu; closed: nghỉ (cuối tuần, ngày lễ), các số liệu để trống; "
            "no_data: trong giờ làm việc nhưng không ghi nhận được dữ liệu; future: chưa đến giờ làm việc.")
CLOSED_REASON = _c("closed_reason", "Lý do nghỉ", "Why closed", "text",
                   "The holiday's name, 'weekend' or 'extra closed day' for a closed day.",
                   "Tên ngày lễ, 'weekend' (cuối tuần) hoặc ngày nghỉ bổ sung.")
OPEN_DAYS = _c("open_days", "Số ngày làm việc", "Open days", "int", "Days with office hours in the period.",
               "Số ngày có giờ làm việc trong kỳ.")
CLOSED_DAYS = _c("closed_days", "Số ngày nghỉ", "Closed days", "int", "Days without office hours.",
                 "Số ngày không có giờ làm việc.")
SITES = _c("sites", "Số đơn vị", "Wards", "int", "Wards (sites) of the province in the report.")
COUNTERS = _c("counters", "Số quầy", "Counters", "int", "Counters of the ward.")
OPEN_H = _c("open_h", "Giờ làm việc (giờ)", "Office hours (h)", "hours",
            "Scheduled office hours in the period from the site calendar (lunch break, holidays, make-up days "
            "applied; today only up to now). Ward and province: summed over counters' sites.",
            "Số giờ làm việc theo lịch (trừ nghỉ trưa, ngày lễ; tính cả ngày làm bù).")
COVERAGE = _c("coverage", "Độ phủ dữ liệu (%)", "Data coverage (%)", "share",
              "Share of office time with known data (counter state known; for a queue zone, its count known). "
              "Low coverage means a camera or the service was down: the other figures describe only the covered "
              "time and must not be read as 'no queue'.",
              "Tỷ lệ thời gian làm việc có dữ liệu. Thấp nghĩa là camera hoặc dịch vụ ngừng: các số liệu khác chỉ "
              "phản ánh phần thời gian có dữ liệu.")
STAFFED = _c("staffed_ratio", "Tỷ lệ có cán bộ (%)", "Staffed ratio (%)", "share",
             "Share of office time (with known staffing) an officer sat at the counter.",
             "Tỷ lệ thời gian làm việc có cán bộ ngồi tại quầy (trong thời gian có dữ liệu).")
WAITING_UNSTAFFED = _c("waiting_unstaffed_min", "Dân chờ, không có cán bộ (phút)",
                       "Citizens waiting, no officer (min)", "minutes",
                       "Minutes of office time a counter had no officer while a citizen stood at its front or "
                       "waited in its queue (state waiting_unstaffed). Ward/province: counter-minutes, summed.",
                       "Số phút trong giờ làm việc quầy vắng cán bộ trong khi có người dân đang chờ.")
SERVING = _c("serving_min", "Đang phục vụ (phút)", "Serving (min)", "minutes",
             "Minutes with an officer present and a citizen at the front.",
             "Số phút có cán bộ và có người dân tại quầy.")
IDLE = _c("idle_staffed_min", "Có cán bộ, không có dân (phút)", "Staffed, idle (min)", "minutes",
          "Minutes with an officer present and nobody to serve.", "Số phút có cán bộ, không có người dân.")
UNSTAFFED = _c("unstaffed_min", "Vắng cán bộ, không có dân chờ (phút)", "Unstaffed, nobody waiting (min)",
               "minutes", "Minutes with no officer and nobody waiting.", "Số phút vắng cán bộ và không ai chờ.")
OTHER = _c("other_min", "Trạng thái khác (phút)", "Other states (min)", "minutes",
           "Minutes in a counter state newer than this report layout.", "Số phút ở trạng thái khác.")
NO_DATA = _c("no_data_min", "Không có dữ liệu (phút)", "No data (min)", "minutes",
             "Office minutes whose counter state is unknown (camera stale or down, service not running); for a "
             "counter no staff zone watches, minutes its front is unknown.",
             "Số phút làm việc không xác định được trạng thái quầy.")
SERVED = _c("served", "Lượt phục vụ", "Citizens served", "int",
            "Service sessions completed during office hours: a citizen at the counter front with an officer at "
            "the counter (every visit at a counter no staff zone watches), served for smoothing.min_session or "
            "more.", "Số lượt người dân được phục vụ xong (có cán bộ tại quầy) trong giờ làm việc.")
SERVICE_MEAN = _c("service_mean_s", "Thời gian phục vụ TB (giây)", "Mean service time (s)", "seconds",
                  "Mean length of those sessions.", "Thời gian phục vụ trung bình một lượt.")
SERVICE_P90 = _c("service_p90_s", "Thời gian phục vụ P90 (giây)", "Service time p90 (s)", "seconds",
                 "90th percentile of session length (nearest rank): 9 in 10 services were this short or shorter.",
                 "90% lượt phục vụ ngắn hơn hoặc bằng giá trị này.")
QUEUE_MEAN = _c("queue_mean", "Số người chờ TB (người)", "Mean queue (people)", "people",
                "Time-weighted mean of the smoothed people count over known office time. Ward/province: the sum "
                "of its queue zones' means.", "Số người chờ trung bình theo thời gian.")
QUEUE_PEAK = _c("queue_peak", "Số người chờ cao nhất (người)", "Peak queue (people)", "people",
                "Highest smoothed count in one queue zone.", "Số người chờ cao nhất tại một khu vực chờ.")
THRESHOLD = _c("threshold", "Ngưỡng hàng chờ dài (người)", "Long-queue threshold (people)", "int",
               "The zone's long_queue min_people (else reports.queue_threshold).",
               "Ngưỡng số người của cảnh báo hàng chờ dài.")
QUEUE_OVER = _c("queue_over_share", "Thời gian hàng chờ vượt ngưỡng (%)", "Queue at/above threshold (%)", "share",
                "Share of known office time the queue held at least its threshold. Ward/province: over all its "
                "zones' time.", "Tỷ lệ thời gian số người chờ bằng hoặc vượt ngưỡng.")
WAIT_MEAN = _c("wait_mean_s", "Thời gian chờ ước tính TB (giây)", "Mean estimated wait (s)", "seconds",
               "Time-weighted mean of the estimated wait (people x mean recent service time / staffed counters; 0 "
               "when nobody waits).", "Thời gian chờ ước tính trung bình.")
WAIT_PEAK = _c("wait_peak_s", "Thời gian chờ ước tính cao nhất (giây)", "Peak estimated wait (s)", "seconds",
               "Highest estimated wait.", "Thời gian chờ ước tính cao nhất.")
WAIT_OVER = _c("wait_over_share", "Thời gian chờ vượt mục tiêu (%)", "Wait above target (%)", "share",
               "Share of the queue's known office time with the estimated wait above reports.wait_target "
               "(15 min by default), or with people waiting and no officer at any counter serving the queue.",
               "Tỷ lệ thời gian chờ ước tính vượt mục tiêu (mặc định 15 phút) hoặc có người chờ mà không có cán bộ.")
SERVICE_LEVEL = _c("service_level", "Đạt chuẩn phục vụ (%)", "Service level (%)", "share",
                   "1 - wait above target; where no wait can be estimated, 1 - queue at/above threshold.",
                   "1 - tỷ lệ thời gian chờ vượt mục tiêu.")
ZONE = _c("zone", "Khu vực chờ", "Queue zone", "text")
CAMERA = _c("camera", "Camera", "Camera", "text")
RANK = _c("rank", "Hạng", "Rank", "int", "1 = best score in the province; empty when not ranked.",
          "1 = điểm cao nhất trong tỉnh.")
SCORE = _c("score", "Điểm (0-100)", "Score (0-100)", "number",
           "100 x (0.4 x staffed ratio + 0.3 x (1 - waiting-unstaffed share) + 0.3 x service level), weights "
           "renormalised over the components that have data.",
           "100 x (0,4 x tỷ lệ có cán bộ + 0,3 x (1 - tỷ lệ dân chờ không có cán bộ) + 0,3 x mức đạt chuẩn).")
WAITING_SHARE = _c("waiting_unstaffed_share", "Tỷ lệ dân chờ không có cán bộ (%)", "Waiting-unstaffed share (%)",
                   "share", "waiting_unstaffed minutes / counter minutes with known state.",
                   "Số phút dân chờ không có cán bộ / số phút có dữ liệu.")
MAIN_ISSUE = _c("main_issue", "Vấn đề chính", "Main issue", "text",
                "The component that cost the ward most points.", "Thành phần làm mất nhiều điểm nhất.")
RANKED = _c("ranked", "Được xếp hạng", "Ranked", "text",
            "no when coverage is below reports.min_coverage (not enough data).",
            "không: độ phủ dữ liệu dưới mức tối thiểu.")


def alert_column(kind: str) -> Column:
    """Return the column counting alerts of one kind."""
    vi = {"long_queue": "hàng chờ dài", "counter_unstaffed": "quầy vắng cán bộ",
          "long_service": "phục vụ quá lâu", "camera_down": "mất camera"}.get(kind, kind)
    return _c(f"alerts.{kind}", f"Cảnh báo {vi} (lần)", f"Alerts {kind} (n)", "int",
              f"{kind} alerts that started firing in the period.", f"Số lần cảnh báo {vi}.")


_FIGURES = [OPEN_H, COVERAGE, STAFFED, WAITING_UNSTAFFED, SERVING, IDLE, UNSTAFFED, OTHER, NO_DATA, SERVED,
            SERVICE_MEAN, SERVICE_P90]
_QUEUE = [QUEUE_MEAN, QUEUE_PEAK, QUEUE_OVER, WAIT_MEAN, WAIT_PEAK, WAIT_OVER, SERVICE_LEVEL]
_ALERTS = [alert_column(k) for k in ALERT_KINDS]

COLUMNS: dict[Level, list[Column]] = {
    "province": [PERIOD, PROVINCE, STATUS, SITES, COUNTERS, *_FIGURES, *_QUEUE, *_ALERTS],
    "site": [PERIOD, PROVINCE, SITE, SITE_NAME, STATUS, CLOSED_REASON, OPEN_DAYS, CLOSED_DAYS, COUNTERS, *_FIGURES,
             *_QUEUE, *_ALERTS],
    "counter": [PERIOD, SITE, SITE_NAME, COUNTER, COUNTER_NAME, STATUS, CLOSED_REASON, *_FIGURES,
                alert_column("counter_unstaffed"), alert_column("long_service")],
    "zone": [PERIOD, SITE, SITE_NAME, ZONE, CAMERA, COUNTER, STATUS, OPEN_H, COVERAGE, QUEUE_MEAN, QUEUE_PEAK,
             THRESHOLD, QUEUE_OVER, WAIT_MEAN, WAIT_PEAK, WAIT_OVER, alert_column("long_queue")],
    "ranking": [PROVINCE, RANK, SITE, SITE_NAME, SCORE, STAFFED, WAITING_UNSTAFFED, WAITING_SHARE, SERVICE_LEVEL,
                COVERAGE, SERVED, MAIN_ISSUE, RANKED],
}

SHEET_NAMES: dict[Level, tuple[str, str]] = {
    "ranking": ("Xếp hạng", "Ranking"), "province": ("Tỉnh", "Provinces"), "site": ("Phường-Xã", "Wards"),
    "counter": ("Quầy", "Counters"), "zone": ("Khu vực chờ", "Queue zones"),
}
LEVEL_ORDER: tuple[Level, ...] = ("ranking", "province", "site", "counter", "zone")


def value_of(row: dict[str, object], key: str) -> object:
    """Return a row's value for a column key ('alerts.long_queue' reads row['alerts']['long_queue'])."""
    if key.startswith("alerts."):
        alerts = row.get("alerts")
        return alerts.get(key.split(".", 1)[1], 0) if isinstance(alerts, dict) else None
    return row.get(key)


def definitions() -> list[Column]:
    """Return every distinct column that has a definition, in first-use order."""
    seen: dict[str, Column] = {}
    for level in LEVEL_ORDER:
        for col in COLUMNS[level]:
            if col.definition_en and col.key not in seen:
                seen[col.key] = col
    return list(seen.values())
