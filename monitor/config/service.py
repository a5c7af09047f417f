"""Service-wide settings: where the API listens, where state lives, logging, access."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from .base import ConfigModel


class ApiTokenConfig(ConfigModel):
    """An API token, read from the environment so it never sits in the YAML."""

    name: str = Field(title="Token name", description="Who holds the token; written to the access log.")
    env: str = Field(title="Environment variable", description="Variable that holds the token value.")
    role: Literal["viewer", "admin"] = Field("viewer", title="Role",
                                             description="viewer: status and blurred snapshots; admin: also raw "
                                                         "snapshots (if allowed), reload and test alerts.")


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
                                         description="Tokens allowed on /api/v1; none means the API is open on "
                                                     "loopback only.")
