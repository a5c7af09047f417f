"""Structured logging: one JSON object per line on stdout, secrets scrubbed."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from .redact import REDACTOR, RedactingFilter

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName",
                                                                           "color_message"}


_SCALARS = (int, float, bool, type(None))


def _field(value: Any) -> Any:
    """Return an extra= value as JSON: numbers and flags as they are, lists of scalars as lists, text scrubbed."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list | tuple) and all(isinstance(x, _SCALARS + (str,)) for x in value):
        return [REDACTOR(x) if isinstance(x, str) else x for x in value]
    return REDACTOR(str(value))


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line; extra= fields become keys."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line."""
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in vars(record).items():
            if k not in _RESERVED and not k.startswith("_"):
                out[k] = _field(v)
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str = "info", stream: Any = None) -> None:
    """Send all logging to stdout as JSON lines through the redacting filter."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("ultralytics", "apscheduler", "httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # uvicorn installs its own handlers; route them through ours so every line is JSON and scrubbed.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
