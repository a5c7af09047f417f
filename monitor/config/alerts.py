"""Alert rules and webhook targets of a site."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import ConfigModel, Duration


class WebhookConfig(ConfigModel):
    """One HTTP receiver of notifications."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", title="Target id",
                    description="Names the target in metrics and the outbox.")
    url: str = Field(pattern=r"^https?://", title="URL", description="Receiver URL (http or https).")
    secret_env: str | None = Field(None, title="Secret variable",
                                   description="Environment variable holding the HMAC-SHA256 signing secret.")
    format: Literal["onestop", "alertmanager"] = Field(
        "onestop", title="Payload format",
        description="onestop: our JSON (Vietnamese + English); alertmanager: Prometheus Alertmanager webhook format.")
    timeout: Duration = Field(10.0, gt=0, title="Timeout", description="Per-request timeout.")
    rules: list[str] | None = Field(None, title="Rules",
                                    description="Rule ids or kinds sent to this target; all when unset.")
    daily_summary: bool = Field(True, title="Daily summary", description="Send the after-hours daily summary.")


class _RuleBase(ConfigModel):
    id: str | None = Field(None, title="Rule id", description="Defaults to '<kind>:<subject>'.")
    for_: Duration = Field(alias="for", title="For", description="How long the condition must hold before firing.")
    repeat_every: Duration | None = Field(None, title="Repeat interval",
                                          description="Re-notify while firing; defaults to the site's setting.")
    clear_after: Duration | None = Field(None, title="Clear after",
                                         description="How long the condition must be gone before resolving "
                                                     "(hold-down); defaults to the site's setting.")
    severity: Literal["info", "warning", "critical"] = Field("warning", title="Severity",
                                                             description="Passed to receivers.")


class LongQueueRule(_RuleBase):
    """A queue zone holds at least min_people for a while."""

    kind: Literal["long_queue"] = Field(title="Kind", description="Rule kind.")
    zone: str = Field(title="Zone", description="Queue zone id.")
    min_people: int = Field(ge=1, title="Minimum people", description="Fires at or above this many people.")
    clear_below: int | None = Field(None, ge=0, title="Clear below",
                                    description="Hysteresis: resolves only below this count (default min_people-1).")


class CounterUnstaffedRule(_RuleBase):
    """A counter has no officer during office hours."""

    kind: Literal["counter_unstaffed"] = Field(title="Kind", description="Rule kind.")
    counter: str = Field(title="Counter", description="Counter id.")
    only_when_waiting: bool = Field(False, title="Only when citizens wait",
                                    description="Fire only while someone waits at the counter front or in a queue.")


class LongServiceRule(_RuleBase):
    """One citizen stays at a counter front for a long time."""

    kind: Literal["long_service"] = Field(title="Kind", description="Rule kind.")
    counter: str = Field(title="Counter", description="Counter id.")


class CameraDownRule(_RuleBase):
    """A camera gives no good frame for a while."""

    kind: Literal["camera_down"] = Field(title="Kind", description="Rule kind.")
    camera: str = Field(title="Camera", description="Camera id.")
    notify_when_closed: bool = Field(False, title="Notify when closed",
                                     description="Also notify outside office hours (it is always tracked).")


class CameraMovedRule(_RuleBase):
    """A camera's view has moved away from the view its zones were drawn on (see the camera's view_check)."""

    kind: Literal["camera_moved"] = Field(title="Kind", description="Rule kind.")
    camera: str = Field(title="Camera", description="Camera id.")


AlertRule = Annotated[LongQueueRule | CounterUnstaffedRule | LongServiceRule | CameraDownRule | CameraMovedRule,
                      Field(discriminator="kind")]


class AlertsConfig(ConfigModel):
    """Alerting of one site."""

    webhooks: list[WebhookConfig] = Field(default_factory=list, title="Webhooks", description="Receivers.")
    rules: list[AlertRule] = Field(default_factory=list, title="Rules", description="Alert rules.")
    repeat_every: Duration = Field(3600.0, gt=0, title="Repeat interval",
                                   description="Default re-notification interval while firing.")
    clear_after: Duration = Field(60.0, ge=0, title="Clear after",
                                  description="Default hold-down before an alert resolves.")
    max_attempts: int = Field(50, ge=1, title="Max delivery attempts",
                              description="Give up on a notification after this many failed deliveries.")
    retry_initial: Duration = Field(2.0, gt=0, title="First retry delay", description="Backoff start.")
    retry_max: Duration = Field(600.0, gt=0, title="Longest retry delay", description="Backoff cap.")
    daily_summary_at: str | None = Field("17:30", pattern=r"^\d{2}:\d{2}$", title="Daily summary time",
                                         description="Local time of the daily summary; null disables it.")
