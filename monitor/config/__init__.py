"""Configuration schema (pydantic), YAML loading with line-precise errors, and cross-field checks."""

from .alerts import (
                     AlertRule,
                     AlertsConfig,
                     CameraDownRule,
                     CameraMovedRule,
                     CounterUnstaffedRule,
                     LongQueueRule,
                     LongServiceRule,
                     WebhookConfig,
)
from .app import AppConfig, SmoothingConfig
from .base import ConfigModel, Duration, parse_duration
from .camera import CameraConfig
from .checks import rule_id, run_checks
from .detector import DetectorConfig, TilingConfig
from .loader import LoadedConfig, load_config, load_config_text
from .problem import Problem
from .service import ApiTokenConfig, ServiceConfig
from .site import CounterConfig, HolidayConfig, SiteConfig, parse_days, parse_span
from .view import ViewCheckConfig
from .yaml_source import ConfigError, Issue
from .zone import ZoneConfig
from .zone_checks import polygon_problems

__all__ = [
    "AlertRule", "AlertsConfig", "ApiTokenConfig", "AppConfig", "CameraConfig", "CameraDownRule", "CameraMovedRule",
    "ConfigError",
    "ConfigModel", "CounterConfig", "CounterUnstaffedRule", "DetectorConfig", "Duration", "HolidayConfig", "Issue",
    "LoadedConfig", "LongQueueRule", "LongServiceRule", "Problem", "ServiceConfig", "SiteConfig", "SmoothingConfig",
    "TilingConfig", "ViewCheckConfig", "WebhookConfig", "ZoneConfig", "load_config", "load_config_text", "parse_days",
    "parse_duration", "parse_span", "polygon_problems", "rule_id", "run_checks",
]
