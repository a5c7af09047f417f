"""An HTTP snapshot camera on 127.0.0.1 whose answer can be switched to a fault and back, with basic auth.

    cam = FaultCamera(jpeg, user="u", password="p").start()
    cam.url("/snapshot.jpg")   # http://u:p@127.0.0.1:PORT/snapshot.jpg
    cam.set("500")             # every request now fails that way; cam.set("good") recovers

Faults: 500 (server error), html (a login page with status 200), truncated (half a JPEG), huge (50 MB with a
Content-Length), endless (50 MB without one), zero (a JPEG whose header says 0x0), giant (header says
9000x9000, beyond 8K), stall (connection accepted, no answer), unauthorized (401, as after a password change).
"""

from __future__ import annotations

import base64
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

HUGE = 50 * 1024 * 1024
MODES = ("good", "500", "html", "truncated", "huge", "endless", "zero", "giant", "stall", "unauthorized")


def patch_size(jpeg: bytes, width: int, height: int) -> bytes:
    """Return the JPEG with its frame header (SOF0/1/2) claiming width x height pixels."""
    data = bytearray(jpeg)
    i = 2
    while data[i + 1] not in (0xC0, 0xC1, 0xC2):
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    data[i + 5:i + 7] = height.to_bytes(2, "big")
    data[i + 7:i + 9] = width.to_bytes(2, "big")
    return bytes(data)


class _QuietServer(ThreadingHTTPServer):
    """A client that gives up mid-answer (the service at its body cap or timeout) is expected, not an error."""

    def handle_error(self, request: object, client_address: object) -> None:
        """Say nothing: resets and broken pipes are what the faults provoke."""


class FaultCamera:
    """Serves one JPEG at any path, or the fault set with ``set``; counts requests per mode."""

    def __init__(self, jpeg: bytes, user: str, password: str) -> None:
        self.jpeg, self.user, self.password = jpeg, user, password
        self.mode = "good"
        self.hits: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self._changed = threading.Event()
        self._closing = threading.Event()
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="fault-camera", daemon=True)

    def url(self, path: str = "/snapshot.jpg") -> str:
        """Return the URL of path with the camera's credentials."""
        return f"http://{quote(self.user, safe='')}:{quote(self.password, safe='')}@127.0.0.1:{self.port}{path}"

    def start(self) -> FaultCamera:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def set(self, mode: str) -> None:
        """Answer every request with this mode from now on (counted as one injected fault unless 'good')."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {MODES}")
        self.mode = mode
        if mode != "good":
            self.faults[mode] += 1
        self._changed.set()  # releases stalled requests
        self._changed = threading.Event()

    def stop(self) -> None:
        """Stop serving and release stalled requests."""
        self._closing.set()
        self._changed.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        cam = self
        good_auth = "Basic " + base64.b64encode(f"{cam.user}:{cam.password}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                pass

            def send(self, status: int, body: bytes, ctype: str = "image/jpeg",
                     headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def stream(self, total: int, length: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                if length:
                    self.send_header("Content-Length", str(total))
                self.close_connection = True
                self.end_headers()
                chunk = cam.jpeg[:2] + b"\0" * (1024 * 1024 - 2)
                try:
                    for sent in range(0, total, len(chunk)):
                        self.wfile.write(chunk[:min(len(chunk), total - sent)])
                except OSError:
                    pass  # the client stopped reading at its cap, as it should

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                mode = cam.mode
                cam.hits[mode] += 1
                if mode == "unauthorized" or self.headers.get("Authorization", "") != good_auth:
                    self.send(401, b"", "text/plain", {"WWW-Authenticate": 'Basic realm="cam"'})
                elif mode == "good":
                    self.send(200, cam.jpeg)
                elif mode == "500":
                    self.send(500, b"<h1>Internal Server Error</h1>", "text/html")
                elif mode == "html":
                    self.send(200, b"<!DOCTYPE html><html><form>Login</form></html>", "text/html")
                elif mode == "truncated":
                    self.send(200, cam.jpeg[:len(cam.jpeg) // 2])
                elif mode == "zero":
                    self.send(200, patch_size(cam.jpeg, 0, 0))
                elif mode == "giant":
                    self.send(200, patch_size(cam.jpeg, 9000, 9000))
                elif mode in ("huge", "endless"):
                    self.stream(HUGE, length=mode == "huge")
                elif mode == "stall":
                    changed = cam._changed
                    changed.wait(120)
                    self.close_connection = True  # the client gave up long ago

        return Handler
