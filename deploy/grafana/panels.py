"""The three dashboards (province overview, site detail, service health); Vietnamese titles, English text."""

from __future__ import annotations

from builder import COUNTERS, ONE_SITE, PROVINCE, SITES, Dashboard, Json, Panel, target

# Metrics that carry no province label are narrowed to the selected provinces through the site's
# onestop_site_open series, which does.
IN_PROVINCE = 'and on (site) onestop_site_open{province=~"$province"}'
SEL = 'province=~"$province", site=~"$site"'  # for recorded series, which carry province
PERCENT = {"min": 0, "max": 1}
THRESH_RATIO: Json = {"thresholds": {"mode": "absolute", "steps": [
    {"color": "red", "value": None}, {"color": "orange", "value": 0.6}, {"color": "green", "value": 0.85}]}}
THRESH_QUEUE: Json = {"thresholds": {"mode": "absolute", "steps": [
    {"color": "green", "value": None}, {"color": "orange", "value": 5}, {"color": "red", "value": 10}]}}
LINES: Json = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
               "tooltip": {"mode": "multi", "sort": "desc"}}


def stat(title: str, description: str, targets: list[Json], w: int = 6, unit: str | None = None,
         defaults: Json | None = None) -> Panel:
    """Return a stat panel showing the last value of each query."""
    return Panel("stat", title, description, targets, w, 4, unit,
                 {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                  "colorMode": "value", "graphMode": "area", "justifyMode": "auto", "textMode": "auto",
                  "orientation": "auto"}, defaults or {})


def series(title: str, description: str, targets: list[Json], w: int = 12, h: int = 8,
           unit: str | None = None, defaults: Json | None = None) -> Panel:
    """Return a time-series panel."""
    return Panel("timeseries", title, description, targets, w, h, unit, dict(LINES),
                 {"custom": {"lineWidth": 1, "fillOpacity": 10, "spanNulls": False}, **(defaults or {})})


def bars(title: str, description: str, targets: list[Json], w: int = 12, h: int = 8,
         unit: str | None = None, defaults: Json | None = None) -> Panel:
    """Return a horizontal bar gauge with one bar per series."""
    return Panel("bargauge", title, description, targets, w, h, unit,
                 {"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
                  "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}, defaults or {})


def state_mappings(states: list[tuple[int, str, str]]) -> Json:
    """Return value mappings {code: (text, colour)} for a state timeline."""
    options = {str(code): {"text": text, "color": color, "index": i}
               for i, (code, text, color) in enumerate(states)}
    return {"mappings": [{"type": "value", "options": options}]}


# --- Province overview -------------------------------------------------------------------------------------

# One query per column, each returning one row per site (label `site` only), joined on site.
SITE_COLUMNS = [
    ("Mở cửa (open)", f'max by (site) (onestop_site_open{{{SEL}}})'),
    ("Người chờ (waiting)", f'sum by (site) (onestop_site:queue_people:sum{{{SEL}}})'),
    ("Quầy có cán bộ (staffed)", f'sum by (site) (onestop_counter_staffed{{site=~"$site"}}) {IN_PROVINCE}'),
    ("Tổng số quầy (counters)",
     f'count by (site) (onestop_counter_state{{site=~"$site", state="closed"}}) {IN_PROVINCE}'),
    ("Có cán bộ hôm nay (staffed today)", f'max by (site) (onestop_site:staffed:ratio_today{{{SEL}}})'),
    ("Hàng chờ cao nhất hôm nay (peak today)",
     f'max by (site) (onestop_site:queue_people:max_today{{{SEL}}})'),
    ("Cảnh báo (alerts firing)", f'sum by (site) (onestop_alerts_firing{{site=~"$site"}}) {IN_PROVINCE}'),
]


def _site_table() -> Panel:
    rename = {f"Value #{chr(ord('A') + i)}": name for i, (name, _) in enumerate(SITE_COLUMNS)}
    rename["site"] = "Điểm (site)"
    open_closed = state_mappings([(0, "Đóng", "text"), (1, "Mở", "green")])["mappings"]
    overrides: list[Json] = [
        {"matcher": {"id": "byName", "options": "Mở cửa (open)"},
         "properties": [{"id": "mappings", "value": open_closed},
                        {"id": "custom.cellOptions", "value": {"type": "color-text"}}]},
        {"matcher": {"id": "byName", "options": "Có cán bộ hôm nay (staffed today)"},
         "properties": [{"id": "unit", "value": "percentunit"}, {"id": "min", "value": 0},
                        {"id": "max", "value": 1},
                        {"id": "custom.cellOptions", "value": {"type": "gauge", "mode": "basic"}},
                        {"id": "thresholds", "value": THRESH_RATIO["thresholds"]}]},
        {"matcher": {"id": "byName", "options": "Người chờ (waiting)"},
         "properties": [{"id": "custom.cellOptions", "value": {"type": "color-background", "mode": "basic"}},
                        {"id": "thresholds", "value": THRESH_QUEUE["thresholds"]}]},
        {"matcher": {"id": "byName", "options": "Cảnh báo (alerts firing)"},
         "properties": [{"id": "custom.cellOptions", "value": {"type": "color-text"}},
                        {"id": "thresholds", "value": {"mode": "absolute", "steps": [
                            {"color": "green", "value": None}, {"color": "red", "value": 1}]}}]},
    ]
    return Panel(
        "table", "Các điểm một cửa",
        "One row per site: open now, people waiting now, counters staffed of the counters, share of today's "
        "office time with an officer at the counters, today's peak queue and alerts firing. Click a column "
        "header to sort.",
        [target(expr, instant=True, fmt="table") for _, expr in SITE_COLUMNS], 24, 9, None,
        {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""},
         "sortBy": [{"displayName": "Người chờ (waiting)", "desc": True}]},
        {"custom": {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": True}},
        [{"id": "joinByField", "options": {"byField": "site", "mode": "outer"}},
         {"id": "filterFieldsByName", "options": {"include": {"pattern": "^(site|Value #.*)$"}}},
         {"id": "organize", "options": {"renameByName": rename,
                                        "indexByName": {"site": 0, **{k: i + 1 for i, k in enumerate(rename)
                                                                      if k != "site"}}}}],
        overrides)


PROVINCE_OVERVIEW = Dashboard(
    "onestop-province", "Một cửa — Tổng quan tỉnh",
    "Province overview: every one-stop office of the selected provinces, open or closed, people waiting, "
    "counters staffed, today's staffing and peak queue, alerts.",
    [PROVINCE, SITES],
    [
        stat("Điểm đang mở cửa", "Sites open now (inside office hours) among the selected sites.",
             [target(f'sum(onestop_site_open{{{SEL}}})', "mở cửa")]),
        stat("Người đang chờ", "People waiting now in the queue zones of the selected sites (smoothed "
             "counts; zones whose camera is stale are left out).",
             [target(f'sum(onestop_site:queue_people:sum{{{SEL}}})', "người chờ")], defaults=THRESH_QUEUE),
        stat("Quầy có cán bộ / tổng số quầy",
             "Counters with an officer now, and all counters of the selected sites.",
             [target(f'sum(onestop_counter_staffed{{site=~"$site"}} {IN_PROVINCE})', "có cán bộ"),
              target(f'count(onestop_counter_state{{site=~"$site", state="closed"}} {IN_PROVINCE})',
                     "tổng")]),
        stat("Cảnh báo đang bật", "Alerts firing now (the service's own alert rules) in the selected sites.",
             [target(f'sum(onestop_alerts_firing{{site=~"$site"}} {IN_PROVINCE})', "cảnh báo")],
             defaults={"thresholds": {"mode": "absolute", "steps": [
                 {"color": "green", "value": None}, {"color": "red", "value": 1}]}}),
        _site_table(),
        Panel("barchart", "Hàng chờ cao nhất hôm nay",
              "Today's peak queue per site: most people waiting at once during office hours since local "
              "midnight.",
              [target(f'max by (site) (onestop_site:queue_people:max_today{{{SEL}}})', instant=True,
                      fmt="table")],
              12, 9, None,
              {"xField": "site", "orientation": "horizontal", "showValue": "auto", "barWidth": 0.8,
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
               "tooltip": {"mode": "single", "sort": "none"}},
              THRESH_QUEUE,
              [{"id": "filterFieldsByName", "options": {"include": {"pattern": "^(site|Value)$"}}},
               {"id": "sortBy", "options": {"sort": [{"field": "Value", "desc": True}]}}]),
        series("Người chờ theo điểm", "People waiting per site over time (sum of its queue zones).",
               [target(f'onestop_site:queue_people:sum{{{SEL}}}', "{{site}}")]),
        bars("Tỷ lệ có cán bộ 7 ngày",
             "Share of the last 7 days' office time an officer sat at the counters, per site.",
             [target(f'onestop_site:staffed:ratio_7d{{{SEL}}}', "{{site}}")], unit="percentunit",
             defaults={**PERCENT, **THRESH_RATIO}),
        bars("Hàng chờ 24 giờ qua: trung vị và P90",
             "Queue length per site over the office time of the last 24 hours: median (p50) and 90th "
             "percentile (p90). Read after closing time they are the day's figures.",
             [target(f'onestop_site:queue_people:p50_1d{{{SEL}}}', "{{site}} p50"),
              target(f'onestop_site:queue_people:p90_1d{{{SEL}}}', "{{site}} p90")], defaults=THRESH_QUEUE),
    ])

# --- Site detail -----------------------------------------------------------------------------------------

COUNTER_STATES = [(1, "Đang phục vụ (serving)", "green"),
                  (2, "Dân chờ, vắng cán bộ (waiting, unstaffed)", "red"),
                  (3, "Có cán bộ, không có dân (idle)", "blue"), (4, "Vắng cán bộ (unstaffed)", "orange"),
                  (5, "Ngoài giờ (closed)", "#808080"), (0, "Không rõ (unknown)", "transparent")]
_STATE_NAMES = ["serving", "waiting_unstaffed", "idle_staffed", "unstaffed", "closed"]
# One series per counter whose value is the code of its current state (0 when unknown: all states 0).
STATE_CODE = "sum by (counter) (\n  " + "\n  or ".join(
    f'onestop_counter_state{{site="$site", counter=~"$counter", state="{s}"}} * {i}'
    for i, s in enumerate(_STATE_NAMES, start=1)) + "\n)"

SITE_DETAIL = Dashboard(
    "onestop-site", "Một cửa — Chi tiết điểm",
    "Site detail: state of each counter over time, queue length per zone, staffing, service time and "
    "estimated wait of one one-stop office.",
    [PROVINCE, ONE_SITE, COUNTERS],
    [
        stat("Người đang chờ", "People waiting now in the site's queue zones.",
             [target('sum(onestop_zone_people{site="$site", kind="queue"})', "người chờ")],
             defaults=THRESH_QUEUE),
        stat("Đã phục vụ hôm nay", "Citizens served today (completed service sessions since local "
             "midnight) at the selected counters.",
             [target('sum(onestop_counter:served:today{site="$site", counter=~"$counter"})', "đã phục vụ")]),
        stat("Có cán bộ hôm nay", "Share of today's office time an officer sat at the site's counters.",
             [target('onestop_site:staffed:ratio_today{site="$site"}', "hôm nay")], unit="percentunit",
             defaults={**PERCENT, **THRESH_RATIO}),
        stat("Thời gian chờ ước tính", "Estimated wait now in the longest queue zone: people waiting x mean "
             "service time / staffed counters. Empty until services have been timed.",
             [target('max(onestop_estimated_wait_seconds{site="$site"})', "chờ")], unit="s"),
        Panel("state-timeline", "Trạng thái quầy",
              "Counter state over time: serving, citizens waiting without an officer, officer idle, "
              "unstaffed, closed (outside office hours); unknown while the camera is stale.",
              [target(STATE_CODE, "{{counter}}")], 24, 8, None,
              {"showValue": "never", "mergeValues": True, "rowHeight": 0.9, "alignValue": "left",
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
               "tooltip": {"mode": "single", "sort": "none"}},
              {"custom": {"fillOpacity": 80, "lineWidth": 0}, "color": {"mode": "thresholds"},
               **state_mappings(COUNTER_STATES)}),
        series("Số người chờ theo khu vực", "People in each queue zone of the site over time (smoothed), "
               "and each zone's long-queue threshold as the service has it (its long_queue rule, else "
               "reports.queue_threshold).",
               [target('onestop_zone_people{site="$site", kind="queue"}', "{{zone}}"),
                target('onestop_zone_queue_threshold{site="$site"}', "{{zone}} ngưỡng (threshold)")]),
        series("Người tại quầy và cán bộ", "People at each selected counter's front (service zone) and "
               "officers at its seat (staff zone).",
               [target('onestop_zone_people{site="$site", kind=~"service|staff", counter=~"$counter"}',
                       "{{counter}} {{kind}}")]),
        bars("Tỷ lệ có cán bộ", "Share of office time an officer sat at each selected counter: today and "
             "over the last 7 days.",
             [target('onestop_counter:staffed:ratio_today{site="$site", counter=~"$counter"}',
                     "{{counter}} hôm nay"),
              target('onestop_counter:staffed:ratio_7d{site="$site", counter=~"$counter"}',
                     "{{counter}} 7 ngày")],
             w=8, unit="percentunit", defaults={**PERCENT, **THRESH_RATIO}),
        series("Thời gian phục vụ", "Service time per citizen at the selected counters over the last hour: "
               "median and 90th percentile of completed services. Empty while no service completed.",
               [target('histogram_quantile(0.5, sum by (le) (rate(onestop_service_seconds_bucket'
                       '{site="$site", counter=~"$counter"}[1h])))', "p50"),
                target('histogram_quantile(0.9, sum by (le) (rate(onestop_service_seconds_bucket'
                       '{site="$site", counter=~"$counter"}[1h])))', "p90")], w=8, unit="s"),
        bars("Phục vụ trong 24 giờ", "Per selected counter over the last 24 hours: mean service time and "
             "citizens served.",
             [target('sum by (counter) (increase(onestop_service_seconds_sum'
                     '{site="$site", counter=~"$counter"}[1d]))'
                     ' / sum by (counter) (increase(onestop_service_seconds_count'
                     '{site="$site", counter=~"$counter"}[1d]) > 0)', "{{counter}} trung bình (s)"),
              target('sum by (counter) (increase(onestop_served_total'
                     '{site="$site", counter=~"$counter"}[1d]))', "{{counter}} lượt")], w=8),
        series("Thời gian chờ ước tính theo khu vực", "Estimated wait per queue zone over time (Little's "
               "law: people x mean service time / staffed counters), and the wait target of the reports "
               "(reports.wait_target).",
               [target('onestop_estimated_wait_seconds{site="$site"}', "{{zone}}"),
                target('onestop_zone_wait_target_seconds{site="$site"}', "{{zone}} mục tiêu (target)")],
               unit="s"),
        series("Thời lượng lượt phục vụ hiện tại", "How long the citizen now at each selected counter has been "
               "served (absent while nobody is), and the counter's long_service threshold: the Prometheus "
               "alert OnestopLongService fires where the first reaches the second, as the service's own does.",
               [target('onestop_counter_session_seconds{site="$site", counter=~"$counter"}', "{{counter}}"),
                target('onestop_counter_long_service_threshold_seconds{site="$site", counter=~"$counter"}',
                       "{{counter}} ngưỡng (threshold)")], unit="s",
               defaults={"custom": {"lineWidth": 1, "fillOpacity": 10, "spanNulls": False,
                                    "lineInterpolation": "stepAfter"}}),
        series("Cảnh báo theo quy tắc", "The service's alert rules of this site: 1 while firing.",
               [target('sum by (rule) (onestop_alerts_firing{site="$site"})', "{{rule}}")],
               defaults={"custom": {"lineWidth": 1, "fillOpacity": 30, "lineInterpolation": "stepAfter"},
                         "min": 0, "max": 1}),
    ], time_from="now/d")

# --- Service health --------------------------------------------------------------------------------------

CAMERA_UP = [(1, "Hoạt động (up)", "green"), (0, "Mất tín hiệu (down)", "red")]
# Counters of rare events (reconnects, drops) exist only once one happened: show 0 for the other cameras.
ZERO_PER_CAMERA = 'sum by (site, camera) (onestop_camera_up{site=~"$site"}) * 0'

SERVICE_HEALTH = Dashboard(
    "onestop-health", "Một cửa — Tình trạng dịch vụ",
    "Service health: cameras (up, last frame, reconnects, errors), inference latency and throughput, "
    "webhook delivery.",
    [PROVINCE, SITES],
    [
        stat("Camera hoạt động / tổng số",
             "Cameras delivering frames now, and all cameras of the selected sites.",
             [target('sum(onestop_camera_up{site=~"$site"})', "hoạt động"),
              target('count(onestop_camera_up{site=~"$site"})', "tổng")]),
        stat("Dịch vụ phản hồi",
             "1 when Prometheus can scrape the onestop-monitor process (job onestop-monitor).",
             [target('up{job="onestop-monitor"}', "{{instance}}")],
             defaults=state_mappings([(1, "Hoạt động", "green"), (0, "Không phản hồi", "red")])),
        stat("Hàng đợi webhook", "Notifications waiting in the webhook outbox (not yet delivered).",
             [target("sum(onestop_webhook_queue_depth)", "chờ gửi")],
             defaults={"thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                                    {"color": "orange", "value": 10},
                                                                    {"color": "red", "value": 100}]}}),
        stat("Phiên bản", "Version of the running service and its person model.",
             [target("onestop_build_info", "{{version}} / {{model}}")],
             defaults={"color": {"mode": "fixed", "fixedColor": "text"}}),
        Panel("state-timeline", "Camera hoạt động",
              "Whether each camera delivered frames over time (site / camera).",
              [target('onestop_camera_up{site=~"$site"}', "{{site}} / {{camera}}")], 24, 7, None,
              {"showValue": "never", "mergeValues": True, "rowHeight": 0.9, "alignValue": "left",
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
               "tooltip": {"mode": "single", "sort": "none"}},
              {"custom": {"fillOpacity": 80, "lineWidth": 0}, "color": {"mode": "thresholds"},
               **state_mappings(CAMERA_UP)}),
        series("Tuổi khung hình cuối", "Seconds since each camera's last good frame.",
               [target('time() - onestop_camera_last_frame_timestamp_seconds{site=~"$site"}',
                       "{{site}} / {{camera}}")], w=8, unit="s"),
        series("Kết nối lại mỗi giờ", "Reconnections to each camera during the last hour (0 for cameras "
               "that never reconnected).",
               [target('sum by (site, camera) (increase(onestop_camera_reconnects_total{site=~"$site"}[1h]))'
                       f' or {ZERO_PER_CAMERA}', "{{site}} / {{camera}}")], w=8),
        series("Lỗi camera theo nguyên nhân", "Camera errors during the last hour, by reason (timeout, "
               "decode, HTTP status...).",
               [target('sum by (site, camera, reason) '
                       '(increase(onestop_camera_errors_total{site=~"$site"}[1h]))',
                       "{{camera}}: {{reason}}")], w=8),
        Panel("heatmap", "Phân bố độ trễ suy luận",
              "Inference latency histogram: model time per batch, by bucket, over time.",
              [target("sum by (le) (increase(onestop_inference_seconds_bucket[$__rate_interval]))", "{{le}}",
                      fmt="heatmap")], 12, 8, "s",
              {"calculate": False, "yAxis": {"unit": "s"}, "cellGap": 1,
               "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64},
               "legend": {"show": True}, "tooltip": {"show": True, "yHistogram": True}}),
        series("Độ trễ suy luận p50 / p90 / p99", "Model time per batch by model: median, 90th and 99th "
               "percentile.",
               [target(f"histogram_quantile({q}, sum by (le, model) "
                       "(rate(onestop_inference_seconds_bucket[$__rate_interval])))", f"{{{{model}}}} p{p}")
                for q, p in ((0.5, 50), (0.9, 90), (0.99, 99))], unit="s"),
        series("Khung hình phân tích mỗi giây", "Frames analysed per second per camera, and samples dropped "
               "because inference was behind.",
               [target('sum by (site, camera) '
                       '(rate(onestop_frames_sampled_total{site=~"$site"}[$__rate_interval]))',
                       "{{camera}} phân tích"),
                target('sum by (site, camera) (rate(onestop_samples_dropped_total{site=~"$site"}'
                       f'[$__rate_interval])) or {ZERO_PER_CAMERA}', "{{camera}} bỏ qua")], unit="fps"),
        series("Độ trễ mẫu p90",
               "90th percentile of the time from frame capture to its counts being applied.",
               [target("histogram_quantile(0.9, sum by (le) (rate(onestop_sample_lag_seconds_bucket"
                       "[$__rate_interval])))", "p90")], unit="s"),
        series("Gửi webhook theo kết quả",
               "Webhook delivery attempts per target and outcome during the last hour.",
               [target("sum by (target, outcome) (increase(onestop_webhook_deliveries_total[1h]))",
                       "{{target}}: {{outcome}}")]),
        bars("Tỷ lệ camera hoạt động", "Share of time each camera delivered frames: last 24 hours, office "
             "hours of the last 24 hours, last 7 days.",
             [target('onestop_camera:up:ratio_1d{site=~"$site"}', "{{camera}} 24 giờ"),
              target('onestop_camera:up_open:ratio_1d{site=~"$site"}', "{{camera}} giờ làm việc"),
              target('onestop_camera:up:ratio_7d{site=~"$site"}', "{{camera}} 7 ngày")],
             unit="percentunit", defaults={**PERCENT, **THRESH_RATIO}),
        Panel("table", "Chế độ giải mã", "Decode mode of each camera (keyframes, all, snapshot, image).",
              [target('onestop_camera_decode_mode{site=~"$site"} == 1', instant=True, fmt="table")],
              12, 8, None,
              {"showHeader": True, "cellHeight": "sm"}, {},
              [{"id": "filterFieldsByName", "options": {"include": {"pattern": "^(site|camera|mode)$"}}}]),
    ], time_from="now-6h")

DASHBOARDS = [PROVINCE_OVERVIEW, SITE_DETAIL, SERVICE_HEALTH]
