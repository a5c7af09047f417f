"""Service-wide settings: where the API listens, where state lives, logging, access, evidence snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from .base import ConfigModel, Duration

Role = Literal["viewer", "admin"]
"""What an API token may do (the one definition; monitor.api.auth enforces it)."""


class ApiTokenConfig(ConfigModel):
    """An API token, read from the environment so it never sits in the YAML."""

    name: str = Field(title="Token name", description="Who holds the token; written to the access log.")
    env: str = Field(title="Environment variable", description="Variable that holds the token value.")
    role: Role = Field("viewer", title="Role",
                       description="viewer: status and blurred snapshots; admin: also raw snapshots (if allowed), "
                                   "reload and test alerts.")


class MetricsAuthConfig(ConfigModel):
    """HTTP basic auth in front of /metrics (Prometheus sends it with `basic_auth` in its scrape config)."""

    user: str = Field(min_length=1, pattern=r"^[^:\s]+$", title="User", description="Basic auth user name.")
    password_env: str = Field(min_length=1, title="Password variable",
                              description="Environment variable that holds the password.")


class EvidenceConfig(ConfigModel):
    """Blurred evidence pictures saved when an alert starts firing (off by default: they are personal data)."""

    enabled: bool = Field(False, title="Save evidence",
                          description="Save a blurred picture of the cameras an alert concerns when it starts "
                                      "firing, under <state_dir>/evidence/.")
    retention: Duration = Field(7 * 86400.0, gt=0, title="Retention",
                                description="Pictures older than this are deleted by a scheduled job (default "
                                            "168h = 7 days); the job also runs while saving is disabled.")
    purge_every: Duration = Field(3600.0, gt=0, title="Purge interval",
                                  description="How often the deletion job runs (also once at start).")
    rules: list[str] | None = Field(None, title="Rules",
                                    description="Rule ids or kinds that save evidence; all rules when unset.")
    quality: int = Field(80, ge=30, le=95, title="JPEG quality", description="Quality of the saved JPEG files.")


class ServiceConfig(ConfigModel):
    """How the daemon runs."""

    host: str = Field("127.0.0.1", title="Listen address",
                      description="Address the HTTP API binds to; loopback unless you mean to expose it.")
    port: int = Field(8000, ge=1, le=65535, title="Listen port", description="Port of the HTTP API and /metrics.")
    state_dir: Path = Field(Path("state"), title="State directory",
                            description="Holds the SQLite database and Ultralytics' settings; relative paths are "
                                        "resolved against the config file's folder.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", title="Log level", description="Minimum level written to stdout.")
    allow_raw_snapshots: bool = Field(
        False, title="Allow raw snapshots",
        description="Let admin tokens fetch unblurred snapshots. Off by default: citizens' images are personal data.")
    tokens: list[ApiTokenConfig] = Field(default_factory=list, title="API tokens",
                                         description="Tokens allowed on /api/v1; with neither tokens nor "
                                                     "tokens_file the API is open (bind it to loopback only).")
    tokens_file: Path | None = Field(None, title="Tokens file",
                                     description="Secrets file with one 'name:role:token' per line (# comments); "
                                                 "must not be readable by group or others (chmod 600). Relative "
                                                 "paths are resolved against the config file's folder. Re-read "
                                                 "on reload.")
    metrics_auth: MetricsAuthConfig | None = Field(None, title="Metrics basic auth",
                                                   description="Require HTTP basic auth on /metrics; open when "
                                                               "unset.")
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig, title="Evidence snapshots",  # type: ignore[arg-type]
                                     description="Blurred pictures saved on alerts, with a retention period.")
    shard: str | None = Field(None, pattern=r"^\s*(\d+|ordinal)\s*/\s*\d+\s*$", title="Shard",
                              description="Run only the sites of shard 'I/N' (0-based; sites are spread by "
                                          "rendezvous hashing of their id), or 'ordinal/N' to take I from the "
                                          "hostname of a StatefulSet pod (name-2 -> 2). Unset: every site. "
                                          "`run --shard` wins; `check-config --shards N` prints the plan.")

    def auth_enabled(self) -> bool:
        """Return True when /api/v1 needs a token (tokens or a tokens file are configured)."""
        return bool(self.tokens) or self.tokens_file is not None
