"""Uncaught exceptions in the daemon go through the redacting log, never raw to stderr with a password."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.support.paths import REPO

SCRIPT = textwrap.dedent("""
    import threading
    from monitor.commands.run import install_excepthooks
    from monitor.logs import setup_logging
    from monitor.redact import REDACTOR

    setup_logging("info")
    install_excepthooks()
    REDACTOR.add(["hook-signing-S3CRET"])

    def camera_thread():
        raise RuntimeError("cannot open rtsp://viewer:Cam-S3CRET@10.0.0.5:554/h264 (signing with hook-signing-S3CRET)")

    t = threading.Thread(target=camera_thread, name="source-hall-1")
    t.start()
    t.join()
    raise ValueError("bad webhook http://sup:Hook-S3CRET@hooks.example/x")
""")


def test_uncaught_exceptions_are_logged_scrubbed() -> None:
    r = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "S3CRET" not in r.stdout + r.stderr
    records = [json.loads(line) for line in r.stdout.splitlines()]
    thread, main = records
    assert thread["level"] == "error" and thread["msg"] == "uncaught exception in thread source-hall-1"
    assert "RuntimeError: cannot open rtsp://***@10.0.0.5:554/h264 (signing with ***)" in thread["exc"]
    assert main["level"] == "critical" and "ValueError: bad webhook http://***@hooks.example/x" in main["exc"]
    assert "Traceback (most recent call last)" in main["exc"]
