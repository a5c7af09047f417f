"""A real RTSP server for the benchmark: GStreamer's RTSP server in a subprocess, N looping mounts of one file.

Needs Debian's python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good and -bad (the script runs
under /usr/bin/python3, not the venv). Streams are served without re-encoding, so the server costs little CPU.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from types import TracebackType

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("rtsp_gst_server.py")
INSTALL_HINT = ("apt install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good "
                "gstreamer1.0-plugins-bad")


def _clean_env() -> dict[str, str]:
    # The venv's variables would make the system python look for packages in the wrong place.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def gstreamer_problem(python: str = SYSTEM_PYTHON) -> str | None:
    """Return why the GStreamer RTSP server cannot run here (missing packages), None when it can."""
    if not Path(python).exists():
        return f"{python} not found ({INSTALL_HINT})"
    probe = ("import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
             "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
             "import sys; sys.exit(0 if all(Gst.ElementFactory.find(e) for e in "
             "('qtdemux', 'h264parse', 'rtph264pay')) else 3)")
    r = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60, env=_clean_env())
    if r.returncode:
        return f"GStreamer RTSP server unavailable ({INSTALL_HINT}): {r.stderr.strip()[-300:]}"
    return None


def read_ready_port(proc: subprocess.Popen[bytes], deadline: float) -> tuple[int | None, bytes]:
    """Wait for the server script's "READY <port>" line; return (port, what was read), port None on failure."""
    assert proc.stdout is not None
    line = b""
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 256)
            if not chunk:
                break
            line += chunk
            if line.startswith(b"READY ") and line.endswith(b"\n"):
                return int(line.split()[1]), line
    return None, line


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    # Runs at garbage collection or interpreter exit: a crashed benchmark must not leave a server behind.
    if proc.poll() is None:
        proc.kill()


class RtspServer:
    """One server process on 127.0.0.1 serving each mount's file at rtsp://127.0.0.1:PORT/NAME, looping."""

    def __init__(self, mounts: dict[str, Path], python: str = SYSTEM_PYTHON) -> None:
        for name, file in mounts.items():
            if not Path(file).is_file():
                raise FileNotFoundError(f"RTSP mount {name}: no such file {file}")
        self.mounts = {k: Path(v) for k, v in mounts.items()}
        self.python = python
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # stderr: a pipe nobody reads could fill and stall the server

    def url_for(self, name: str) -> str:
        """Return the URL of a mount."""
        if not self.port:
            raise RuntimeError("the server has not been started yet: its port is unknown")
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self, timeout: float = 30.0) -> RtspServer:
        """Start the process; return once its port accepts connections, else raise RuntimeError."""
        cmd = [self.python, str(SCRIPT), "--address", "127.0.0.1", "--port", "0"]
        for name, file in self.mounts.items():
            cmd += ["--mount", f"{name}={file.resolve()}"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
                                     env=_clean_env(), start_new_session=True)
        weakref.finalize(self, _terminate, self.proc)
        deadline = time.monotonic() + timeout
        try:
            self.port = self._read_port(deadline)
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return self
                except OSError:
                    time.sleep(0.05)
            raise RuntimeError(f"RTSP server port {self.port} does not accept connections")
        except Exception:
            self.stop()
            raise

    def _read_port(self, deadline: float) -> int:
        assert self.proc is not None
        port, line = read_ready_port(self.proc, deadline)
        if port is None:
            raise RuntimeError(f"RTSP server did not start (exit {self.proc.poll()}): {line!r} {self.log_tail()}")
        return port

    def log_tail(self, size: int = 2000) -> str:
        """Return the end of the server's stderr."""
        self._log.seek(0, os.SEEK_END)
        self._log.seek(max(0, self._log.tell() - size))
        return self._log.read().decode(errors="replace")

    @property
    def pid(self) -> int | None:
        """Return the server's process id while it runs."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after timeout)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
