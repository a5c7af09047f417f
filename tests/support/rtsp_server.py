"""A real RTSP server for tests and benchmarks: GStreamer's RTSP server in a subprocess, looping H.264 files.

    with RtspServer(ONE_BY_ONE, name="cam1", user="viewer", password="s3cret") as srv:
        url = srv.url            # rtsp://viewer:s3cret@127.0.0.1:PORT/cam1
        srv.kill()               # camera loses power: connection drops
        srv.start()              # back on the same port
        srv.pause(); srv.resume()  # frozen camera: TCP stays open, no data

Several mounts share one process (`mounts={"cam2": path, ...}`), for tests that need many streams.
"""

from __future__ import annotations

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

# One server script and one probe for the product's benchmark and the tests: the tests add kill/pause/auth on top.
from monitor.bench.rtsp import SCRIPT, SYSTEM_PYTHON, _clean_env, gstreamer_problem, read_ready_port

__all__ = ["SCRIPT", "SYSTEM_PYTHON", "RtspServer", "gstreamer_problem"]


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    # Runs at garbage collection or interpreter exit: never leave a server behind a crashed test run.
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

    def start(self, timeout: float = 20.0) -> RtspServer:
        """Start the process; return when its port accepts connections, else raise RuntimeError (with log)."""
        if self.running:
            return self
        cmd = [self.python, str(SCRIPT), "--port", str(self.port)]
        for name, file in self.mounts.items():
            cmd += ["--mount", f"{name}={file.resolve()}"]
        if self.user is not None:
            cmd += ["--user", self.user, "--password", self.password or ""]
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                         env=_clean_env(), start_new_session=True)
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
