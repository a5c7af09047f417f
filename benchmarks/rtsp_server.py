"""A real RTSP server for tests and benchmarks: GStreamer's RTSP server in a subprocess, looping H.264 files.

    with RtspServer(ONE_BY_ONE, name="cam1", user="viewer", password="s3cret") as srv:
        url = srv.url            # rtsp://viewer:s3cret@127.0.0.1:PORT/cam1
        srv.kill()               # camera loses power: connection drops
        srv.start()              # back on the same port
        srv.pause(); srv.resume()  # frozen camera: TCP stays open, no data

Several mounts share one process (`mounts={"cam2": path, ...}`), for many streams. The server script
(rtsp_gst_server.py) runs under Debian's /usr/bin/python3 with python3-gi, gir1.2-gst-rtsp-server-1.0,
gstreamer1.0-plugins-good and -bad, not under the project venv. Streams are served without re-encoding, so the
server costs little CPU.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("rtsp_gst_server.py")
INSTALL_HINT = ("apt install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good "
                "gstreamer1.0-plugins-bad")


def clean_env() -> dict[str, str]:
    """Return this process's environment without the venv's variables, for the system Python."""
    # They would make the system python look for packages in the wrong place.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def gstreamer_problem(python: str = SYSTEM_PYTHON) -> str | None:
    """Return why the GStreamer RTSP server cannot run here (missing packages), None when it can."""
    if not Path(python).exists():
        return f"{python} not found ({INSTALL_HINT})"
    probe = ("import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
             "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
             "import sys; sys.exit(0 if all(Gst.ElementFactory.find(e) for e in "
             "('qtdemux', 'h264parse', 'rtph264pay')) else 3)")
    r = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60, env=clean_env())
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
    # Runs at garbage collection or interpreter exit: never leave a server behind a crashed run.
    if proc.poll() is None:
        proc.send_signal(signal.SIGCONT)
        proc.kill()


class RtspServer:
    """One RTSP server process serving path at rtsp://127.0.0.1:port/name, plus any extra mounts."""

    def __init__(self, path: str | Path, port: int | None = None, name: str = "cam", user: str | None = None,
                 password: str | None = None, mounts: dict[str, str | Path] | None = None,
                 python: str = SYSTEM_PYTHON) -> None:
        self.mounts: dict[str, Path] = {name: Path(path)}
        self.mounts.update({k: Path(v) for k, v in (mounts or {}).items()})
        for mount, file in self.mounts.items():
            if not file.is_file():
                raise FileNotFoundError(f"RTSP mount {mount}: no such file {file}")
        self.name, self.user, self.password, self.python = name, user, password, python
        self.port = port or 0  # 0: the server picks one; it is kept for restarts
        self.proc: subprocess.Popen[bytes] | None = None
        self._logdir = Path(tempfile.mkdtemp(prefix="rtsp-server-"))
        # stderr goes to a file: a pipe nobody reads could fill and stall the server.
        self.log_path = self._logdir / "server.log"

    @property
    def url(self) -> str:
        """Return the URL of the main mount, with credentials when the server has them."""
        return self.url_for(self.name)

    def url_for(self, name: str, credentials: bool = True) -> str:
        """Return the URL of mount name (with user:password percent-encoded unless credentials=False)."""
        if not self.port:
            raise RuntimeError("the server has not been started yet: its port is unknown")
        auth = ""
        if credentials and self.user is not None:
            auth = f"{quote(self.user, safe='')}:{quote(self.password or '', safe='')}@"
        return f"rtsp://{auth}127.0.0.1:{self.port}/{name}"

    def start(self, timeout: float = 30.0) -> RtspServer:
        """Start the process; return when its port accepts connections, else raise RuntimeError (with log)."""
        if self.running:
            return self
        cmd = [self.python, str(SCRIPT), "--address", "127.0.0.1", "--port", str(self.port)]
        for name, file in self.mounts.items():
            cmd += ["--mount", f"{name}={file.resolve()}"]
        if self.user is not None:
            cmd += ["--user", self.user, "--password", self.password or ""]
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                         env=clean_env(), start_new_session=True)
        finally:
            log.close()
        weakref.finalize(self, _terminate, self.proc)
        deadline = time.monotonic() + timeout
        try:
            self.port = self._read_port(deadline)
            self._wait_accepting(deadline)
        except Exception:
            self.stop()
            raise
        return self

    def _read_port(self, deadline: float) -> int:
        assert self.proc is not None
        port, line = read_ready_port(self.proc, deadline)
        if port is None:
            raise RuntimeError(f"RTSP server did not start (exit {self.proc.poll()}): {line!r}\n{self.log_tail()}")
        return port

    def _wait_accepting(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"RTSP server port {self.port} does not accept connections\n{self.log_tail()}")

    @property
    def running(self) -> bool:
        """Return True while the server process is alive."""
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        """Return the server's process id while it runs (to read its CPU time)."""
        return self.proc.pid if self.proc is not None and self.running else None

    def log_tail(self, chars: int = 2000) -> str:
        """Return the end of the server's stderr (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), like a camera losing power; clients see the connection drop."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_pipe()

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): connections stay open but no data flows, like a hung camera."""
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Unfreeze a paused process (SIGCONT)."""
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after timeout)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a paused process cannot handle SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close_pipe()

    def _close_pipe(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()

    def close(self) -> None:
        """Stop the server and remove its log directory."""
        self.stop()
        shutil.rmtree(self._logdir, ignore_errors=True)

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
