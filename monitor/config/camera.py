"""A camera: where its frames come from, how often to sample, and its zones."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ..redact import redact_url
from .base import ConfigModel, Duration
from .detector import TilingConfig
from .view import ViewCheckConfig
from .zone import ZoneConfig

SourceType = Literal["auto", "stream", "snapshot", "file", "image"]


class CameraConfig(ConfigModel):
    """One camera of a site."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", title="Camera id",
                    description="Unique across the whole config; used in URLs, metrics and logs.")
    name: str | None = Field(None, title="Display name", description="Human name of the camera.")
    url: str = Field(min_length=1, title="URL",
                     description="rtsp://, rtmp://, http(s):// stream or JPEG snapshot URL, or a local file path "
                                 "(video or image). Put credentials in ${ENV_VARS}; they are redacted everywhere.")
    type: SourceType = Field("auto", title="Source type",
                             description="auto guesses from the URL: http(s) URLs ending in .jpg/.jpeg or with "
                                         "'snapshot' in the path are snapshots; local paths are files or images.")
    sample_every: Duration = Field(2.0, gt=0, title="Sample interval",
                                   description="How often a frame is analysed, e.g. '2s'.")
    stale_after: int = Field(3, ge=1, title="Stale after (samples)",
                             description="Zones become unknown when the last good frame is older than this many "
                                         "sample intervals.")
    enabled: bool = Field(True, title="Enabled", description="Disabled cameras are not opened.")
    loop: bool = Field(True, title="Loop files", description="Local video files restart at the end (demos, tests).")
    realtime: bool = Field(True, title="Play files in real time",
                           description="Local video files are read at their own frame rate, like a live camera.")
    tiling: TilingConfig | None = Field(None, title="Tiling",
                                        description="Override the detector's tiling for this camera.")
    zones: list[ZoneConfig] = Field(default_factory=list, title="Zones", description="Polygon zones of this camera.")
    view_check: ViewCheckConfig = Field(default_factory=ViewCheckConfig,  # type: ignore[arg-type]
                                        title="View check",
                                        description="Detect a bumped, re-aimed or zoomed camera: its zones become "
                                                    "unknown and a camera_moved alert can fire.")

    @field_validator("url")
    @classmethod
    def _resolve_package_url(cls, v: str) -> str:
        return resolve_package_url(v)


def resolve_package_url(url: str) -> str:
    """Turn 'package://ultralytics/assets/bus.jpg' into the file's absolute path inside the installed package.

    Demo configs use this to read sample media that ships with an installed package, wherever it is installed.
    """
    if not url.startswith("package://"):
        return url
    pkg, _, rel = url.removeprefix("package://").partition("/")
    spec = importlib.util.find_spec(pkg) if pkg.isidentifier() else None
    if spec is None or not spec.submodule_search_locations:
        # Never echo a name that is not a package name: it may be 'user:password@host' typed by mistake.
        raise ValueError(f"package {pkg if pkg.isidentifier() else '?'!r} in {redact_url(url)!r} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / rel
    if not path.exists():
        raise ValueError(f"{rel!r} is not in the installed package {pkg!r} ({path})")
    return str(path)


def kinds_needed(camera: CameraConfig) -> set[str]:
    """Return the detector kinds a camera needs: persons always (snapshots, blurring), heads for head zones."""
    return {"person"} | {z.count_mode for z in camera.zones}
