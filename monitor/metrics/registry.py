"""Every Prometheus metric the service exports, defined in one place on a private registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

ZONE = ("site", "camera", "zone", "kind", "counter")
COUNTER = ("site", "counter")
CAMERA = ("site", "camera")


class Metrics:
    """The service's metrics; one instance per process (tests make their own)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        # Zones and counters.
        self.zone_people = Gauge("onestop_zone_people", "Smoothed people in a zone (absent while unknown).",
                                 ZONE, registry=r)
        self.zone_known = Gauge("onestop_zone_known", "1 when the zone's count is known (camera fresh).",
                                ZONE, registry=r)
        self.counter_staffed = Gauge("onestop_counter_staffed", "1 when an officer sits at the counter.",
                                     COUNTER, registry=r)
        self.counter_state = Gauge("onestop_counter_state", "1 for the counter's current state, 0 for the others.",
                                   (*COUNTER, "state"), registry=r)
        self.counter_open_seconds = Counter("onestop_counter_open_seconds", "Seconds the counter's site was open.",
                                            COUNTER, registry=r)
        self.counter_staffed_seconds = Counter("onestop_counter_staffed_seconds",
                                               "Seconds the counter was staffed while the site was open.",
                                               COUNTER, registry=r)
        self.site_open = Gauge("onestop_site_open", "1 inside office hours.", ("site", "province"), registry=r)
        self.service_seconds = Histogram("onestop_service_seconds", "Duration of one citizen's service at a counter.",
                                         COUNTER, registry=r,
                                         buckets=(30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 3600))
        self.served = Counter("onestop_served", "Citizens served (service sessions completed).", COUNTER, registry=r)
        self.sessions_discarded = Counter(
            "onestop_sessions_discarded",
            "Counter-front visits not counted as a service, by reason (too_short, no_officer, staff_unknown).",
            (*COUNTER, "reason"), registry=r)
        self.estimated_wait = Gauge("onestop_estimated_wait_seconds",
                                    "Estimated wait in a queue zone (people x mean service time / staffed counters).",
                                    ("site", "camera", "zone"), registry=r)
        # Cameras and the pipeline.
        self.camera_up = Gauge("onestop_camera_up", "1 when the camera delivers frames.", CAMERA, registry=r)
        self.camera_last_frame = Gauge("onestop_camera_last_frame_timestamp_seconds",
                                       "Unix time of the camera's last good frame.", CAMERA, registry=r)
        self.camera_reconnects = Counter("onestop_camera_reconnects", "Reconnections to the camera.", CAMERA,
                                         registry=r)
        self.camera_errors = Counter("onestop_camera_errors", "Camera errors by reason.", (*CAMERA, "reason"),
                                     registry=r)
        self.camera_decode_mode = Gauge("onestop_camera_decode_mode", "1 for the camera's decode mode.",
                                        (*CAMERA, "mode"), registry=r)
        self.camera_view_shift_ratio = Gauge(
            "onestop_camera_view_shift_ratio",
            "How far the camera's view moved from the reference taken when its zones were saved: mean displacement "
            "of the frame corners / frame diagonal; 1 when the view no longer matches (absent before a reference).",
            CAMERA, registry=r)
        self.camera_view_moved = Gauge("onestop_camera_view_moved",
                                       "1 while the view is moved (shift ratio at or above the camera's threshold): "
                                       "its zones are unknown.", CAMERA, registry=r)
        self.frames_sampled = Counter("onestop_frames_sampled", "Frames analysed.", CAMERA, registry=r)
        self.samples_dropped = Counter("onestop_samples_dropped", "Samples dropped because inference was behind.",
                                       CAMERA, registry=r)
        self.inference_seconds = Histogram("onestop_inference_seconds", "Model time per batch.", ("model",),
                                           registry=r, buckets=(.01, .025, .05, .1, .2, .35, .5, 1, 2, 5))
        self.sample_lag_seconds = Histogram("onestop_sample_lag_seconds",
                                            "From frame capture to its counts being applied.", registry=r,
                                            buckets=(.05, .1, .25, .5, 1, 2, 4, 8, 16))
        # Alerts and webhooks.
        self.alerts_firing = Gauge("onestop_alerts_firing", "Alerts firing now.", ("rule", "site"), registry=r)
        self.webhook_deliveries = Counter("onestop_webhook_deliveries", "Webhook delivery attempts by outcome.",
                                          ("target", "outcome"), registry=r)
        self.webhook_queue_depth = Gauge("onestop_webhook_queue_depth", "Notifications waiting in the outbox.",
                                         registry=r)
        self.build_info = Gauge("onestop_build_info", "Version of the running service.", ("version", "model"),
                                registry=r)
        self._add_report_metrics(r)

    def _add_report_metrics(self, r: CollectorRegistry) -> None:
        # Alert thresholds and targets of the config, so Prometheus rules and dashboards read them from here
        # instead of repeating them (see metrics.thresholds), and the current session length.
        self.zone_queue_threshold = Gauge(
            "onestop_zone_queue_threshold", "People at or above which a queue zone counts as long (its "
            "long_queue rule's min_people, else reports.queue_threshold).", ("site", "camera", "zone"), registry=r)
        self.zone_queue_threshold_for = Gauge(
            "onestop_zone_queue_threshold_for_seconds", "How long a queue must stay long before long_queue fires.",
            ("site", "camera", "zone"), registry=r)
        self.zone_wait_target = Gauge(
            "onestop_zone_wait_target_seconds", "Estimated wait above which a queue misses its service level "
            "(reports.wait_target).", ("site", "camera", "zone"), registry=r)
        self.counter_long_service_threshold = Gauge(
            "onestop_counter_long_service_threshold_seconds", "Session length at which long_service fires.",
            COUNTER, registry=r)
        self.counter_unstaffed_threshold = Gauge(
            "onestop_counter_unstaffed_threshold_seconds", "How long a counter must be unstaffed before "
            "counter_unstaffed fires.", COUNTER, registry=r)
        self.camera_down_threshold = Gauge(
            "onestop_camera_down_threshold_seconds", "How long a camera must be down before camera_down fires.",
            CAMERA, registry=r)
        self.counter_session_seconds = Gauge(
            "onestop_counter_session_seconds", "How long the counter's current service session has lasted "
            "(absent when none or unknown).", COUNTER, registry=r)
        self.tick_subscriber_dropped = Counter(
            "onestop_tick_subscriber_dropped", "Clock ticks a slow output (history, ...) lost by falling behind.",
            ("subscriber",), registry=r)
        self.history_rows = Counter("onestop_history_rows_written", "Per-minute history rows written.",
                                    ("table",), registry=r)
        self.history_write_seconds = Histogram("onestop_history_write_seconds",
                                               "Time to write one batch of history rows.", registry=r,
                                               buckets=(.001, .005, .01, .025, .05, .1, .25, .5, 1, 5))
