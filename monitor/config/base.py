"""Shared base for config models: strict keys, immutable, and a human duration type."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

_DURATION_RE = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m(?!s))?\s*"
                          r"(?:(\d+(?:\.\d+)?)\s*s)?\s*(?:(\d+(?:\.\d+)?)\s*ms)?\s*$")


def parse_duration(value: Any) -> float:
    """Return seconds for '2s', '10m', '1h30m', '500ms' or a plain number of seconds.

    >>> parse_duration("1m30s")
    90.0
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '2s', '10m', '1h30m'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            m = _DURATION_RE.match(text)
            if not text or not m or not any(m.groups()):
                raise ValueError(
                    f"bad duration {value!r}: use a number of seconds or e.g. '2s', '10m', '1h30m', '500ms'") from None
            h, mi, s, ms = (float(g) if g else 0.0 for g in m.groups())
            seconds = h * 3600 + mi * 60 + s + ms / 1000
    else:
        raise ValueError("a duration is a number of seconds or a string like '2s', '10m', '1h30m'")
    if seconds < 0:
        raise ValueError(f"duration {value!r} is negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds, written in YAML as ``2s``, ``10m``, ``1h30m`` or a number."""


class ConfigModel(BaseModel):
    """Base of every config model: unknown keys are errors, values are frozen after load."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
