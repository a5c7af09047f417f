"""The root of the configuration file."""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel, Duration
from .detector import DetectorConfig
from .reports import ReportsConfig
from .service import ServiceConfig
from .site import SiteConfig


class SmoothingConfig(ConfigModel):
    """How raw per-sample counts become robust values."""

    window: int = Field(5, ge=1, le=101, title="Window (samples)",
                        description="Median over this many recent samples, so one missed detection does not flip "
                                    "a counter.")
    session_gap: int = Field(2, ge=0, le=20, title="Session gap (samples)",
                             description="Missed samples tolerated inside one service session at a counter front.")
    min_session: Duration = Field(10.0, ge=0, title="Shortest service session",
                                  description="Shorter occupations of a counter front are passers-by, not services.")
    service_history: int = Field(20, ge=1, title="Service history",
                                 description="Recent sessions averaged for the estimated wait (Little's law).")


class AppConfig(ConfigModel):
    """The whole configuration of one onestop-monitor process."""

    service: ServiceConfig = Field(default_factory=ServiceConfig, title="Service",  # type: ignore[arg-type]
                                   description="API, state directory, logging, tokens.")
    detector: DetectorConfig = Field(default_factory=DetectorConfig, title="Detector",  # type: ignore[arg-type]
                                     description="Person/head model and how it runs.")
    smoothing: SmoothingConfig = Field(default_factory=SmoothingConfig, title="Smoothing",  # type: ignore[arg-type]
                                       description="Robust counts and service sessions.")
    sites: list[SiteConfig] = Field(min_length=1, title="Sites", description="One-stop offices watched.")
    reports: ReportsConfig = Field(default_factory=ReportsConfig, title="Reports",  # type: ignore[arg-type]
                                   description="History, service-level targets and scheduled reports.")
    sites_dir: str | None = Field(
        None, title="Sites folder",
        description="A folder (relative to this file) whose *.yaml files each hold one site, e.g. "
                    "sites.d/<site>.yaml; their sites are added after `sites`. Errors name the site file and line.")
