"""Reports: history kept in the state dir, service-level targets, and scheduled reports by webhook and e-mail."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from .base import ConfigModel, Duration

Period = Literal["day", "week", "month"]
ReportFormat = Literal["xlsx", "csv", "json"]
Language = Literal["vi", "en"]
_ID = r"^[A-Za-z0-9_.-]+$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ReportWebhookConfig(ConfigModel):
    """An HTTP receiver of scheduled reports (JSON body, the file as a signed link or attached)."""

    id: str = Field(min_length=1, pattern=_ID, title="Target id", description="Named by schedules' `webhooks`.")
    url: str = Field(pattern=r"^https?://", title="URL", description="Receiver URL (http or https).")
    secret_env: str | None = Field(None, title="Secret variable",
                                   description="Environment variable holding the HMAC-SHA256 signing secret "
                                               "(same X-Onestop-Signature header as alert webhooks).")
    timeout: Duration = Field(30.0, gt=0, title="Timeout", description="Per-request timeout.")
    attach: bool = Field(False, title="Attach the file",
                         description="Also put the file itself in the body (file.content_base64), for receivers "
                                     "that cannot fetch the link.")


class EmailConfig(ConfigModel):
    """SMTP server that mails scheduled reports (STARTTLS; credentials from the environment)."""

    host: str = Field(min_length=1, title="SMTP host", description="Mail server name or address.")
    port: int = Field(587, ge=1, le=65535, title="SMTP port", description="587 (submission) for STARTTLS.")
    starttls: bool = Field(True, title="STARTTLS",
                           description="Upgrade the connection with STARTTLS before logging in (refuses to send "
                                       "if the server does not offer it). Turn off only for a local relay.")
    ca_file: Path | None = Field(None, title="CA file",
                                 description="PEM file of the CA that signed the server's certificate; the system's "
                                             "CAs when unset. Relative paths are resolved against the config file.")
    user_env: str | None = Field(None, title="User variable", description="Environment variable with the login.")
    password_env: str | None = Field(None, title="Password variable",
                                     description="Environment variable with the password.")
    sender: str = Field(pattern=_EMAIL, title="From", description="Sender address, e.g. baocao@laocai.gov.vn.")
    timeout: Duration = Field(30.0, gt=0, title="Timeout", description="Connection and command timeout.")


class ReportScheduleConfig(ConfigModel):
    """A report sent every day, week or month for the period that just ended."""

    id: str = Field(min_length=1, pattern=_ID, title="Schedule id", description="Names the report in the outbox.")
    every: Period = Field(title="Period",
                          description="day: yesterday; week: last ISO week (Mon-Sun); month: last calendar month.")
    at: str = Field("07:00", pattern=r"^\d{2}:\d{2}$", title="Send time",
                    description="Local time, on the first day after the period, when the report is made and sent.")
    timezone: str = Field("Asia/Ho_Chi_Minh", title="Time zone", description="Time zone of `at` and of periods.")
    by: Period | None = Field(None, title="Rows per",
                              description="Split figures per day/week/month inside the period; default: one row "
                                          "per day for day and week reports, per week for month reports.")
    site: str | None = Field(None, title="Site", description="Only this site; all sites of the process when unset.")
    province: str | None = Field(None, title="Province", description="Only sites of this province.")
    format: ReportFormat = Field("xlsx", title="File format", description="xlsx, csv or json.")
    language: Language = Field("vi", title="Language", description="Headers and texts: vi or en.")
    webhooks: list[str] = Field(default_factory=list, title="Webhook targets",
                                description="Ids of reports.webhooks that receive it.")
    email_to: list[str] = Field(default_factory=list, title="E-mail recipients",
                                description="Addresses mailed the report (needs reports.email).")


class ReportsConfig(ConfigModel):
    """History of per-minute figures, service-level targets, and scheduled reports."""

    history: bool = Field(True, title="Record history",
                          description="Record per-minute figures of every counter and queue zone in "
                                      "<state_dir>/history.db (SQLite), during office hours.")
    retention_days: int = Field(400, ge=1, title="Retention (days)",
                                description="History older than this is deleted (400: a year-on-year comparison "
                                            "still works).")
    flush_every: Duration = Field(60.0, ge=1, le=3600, title="Write interval",
                                  description="Finished minutes are written in one batch this often.")
    wait_target: Duration = Field(900.0, gt=0, title="Wait target",
                                  description="Service level: share of open time a queue's estimated wait stays at "
                                              "or under this (default 15m).")
    queue_threshold: int = Field(5, ge=1, title="Default queue threshold",
                                 description="People at or above which a queue zone without a long_queue rule counts "
                                             "as long (zones with a rule use its min_people).")
    min_coverage: float = Field(0.5, ge=0, le=1, title="Minimum coverage for ranking",
                                description="Wards with less known data than this share of office time are listed "
                                            "after the ranked ones, marked 'not enough data'.")
    public_url: str | None = Field(None, pattern=r"^https?://", title="Public URL",
                                   description="How receivers reach this service (download links), e.g. "
                                               "https://giamsat.example.vn; default http://<host>:<port>.")
    link_secret_env: str | None = Field(None, title="Link secret variable",
                                        description="Environment variable with the key that signs download links; "
                                                    "a random key kept in <state_dir>/reports/ when unset.")
    link_expiry: Duration = Field(7 * 86400.0, gt=0, title="Link lifetime",
                                  description="Download links stop working after this (default 168h); report files "
                                              "are deleted then too.")
    webhooks: list[ReportWebhookConfig] = Field(default_factory=list, title="Webhook targets",
                                                description="Receivers of scheduled reports.")
    email: EmailConfig | None = Field(None, title="E-mail", description="SMTP server for e-mailed reports.")
    schedule: list[ReportScheduleConfig] = Field(default_factory=list, title="Schedule",
                                                 description="Reports sent every day, week or month.")
    max_attempts: int = Field(50, ge=1, title="Max delivery attempts",
                              description="Give up on a report delivery after this many failures.")
    retry_initial: Duration = Field(5.0, gt=0, title="First retry delay", description="Backoff start.")
    retry_max: Duration = Field(1800.0, gt=0, title="Longest retry delay", description="Backoff cap.")
