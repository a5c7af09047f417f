"""JSON log lines: extra= fields become keys of the line (lists stay lists), secrets scrubbed in every string."""

from __future__ import annotations

import io
import json
import logging

from monitor.logs import setup_logging
from monitor.redact import REDACTOR


def test_extra_fields_are_keys_of_the_json_line() -> None:
    stream = io.StringIO()
    REDACTOR.add(["hunter2-secret"])
    setup_logging("info", stream=stream)
    try:
        logging.getLogger("monitor.access").info("zones_saved", extra={
            "event": "zones_saved", "who": "ops", "raw": False, "zones": 3, "added": ["kerb", "hunter2-secret"],
            "where": {"a": 1}})
    finally:
        setup_logging("info")
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["msg"] == "zones_saved" and line["event"] == "zones_saved" and line["who"] == "ops"
    assert line["raw"] is False and line["zones"] == 3
    assert line["added"] == ["kerb", "***"]  # a list stays a list, its strings scrubbed
    assert line["where"] == "{'a': 1}"  # anything else is text
