"""A local HTTP snapshot camera for tests: the good and broken answers of real cameras, on 127.0.0.1.

Each path answers one way (sources tests), or `set` switches every path to one answer and back (fault tests):

    cam = HttpCamera(jpeg).start()
    cam.url("/truncated.jpg")                    # half a JPEG, always
    cam = HttpCamera(jpeg, user="u", password="p", mode="good", require_auth=True).start()
    cam.url("/snapshot.jpg", credentials=True)   # http://u:p@127.0.0.1:PORT/snapshot.jpg
    cam.set("500")                               # every request now fails that way; cam.set("good") recovers
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

HUGE = 50 * 1024 * 1024
USER, PASSWORD = "operator", "p@ss:word#9"
REALM = "IP Camera"

# mode: what it answers
MODES = {
    "good": "the picture",
    "500": "HTTP 500",
    "html": "an HTML login page with status 200",
    "truncated": "half the JPEG",
    "huge": "50 MB with a Content-Length",
    "endless": "50 MB without one",
    "zero": "a JPEG whose header says 0x0",
    "giant": "a JPEG whose header claims 9000x9000 pixels (beyond 8K)",
    "stall": "accepts the connection, never answers (until the mode changes)",
    "unauthorized": "HTTP 401, as after a password change",
    "basic": "the picture, behind Basic auth",
    "digest": "the picture, behind Digest auth (like Hikvision)",
}
PATHS = {"/good.jpg": "good", "/cgi-bin/snapshot.cgi": "good", "/error.jpg": "500", "/login.jpg": "html",
         "/truncated.jpg": "truncated", "/huge.jpg": "huge", "/endless.jpg": "endless", "/giant.jpg": "giant",
         "/stall.jpg": "stall", "/basic.jpg": "basic", "/digest.jpg": "digest"}


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
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Say nothing: clients hanging up mid-answer (at their body cap or timeout) is what the tests provoke."""


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - Digest auth is MD5 by definition


class HttpCamera:
    """Serves `jpeg` in the ways of MODES: by path (PATHS), or every path one way once `mode` is set.

    require_auth: every request needs Basic auth with user:password (401 otherwise), as a real camera.
    `hits` counts requests per path, `faults` each switch to a mode other than 'good'.
    """

    def __init__(self, jpeg: bytes, user: str = USER, password: str = PASSWORD, mode: str | None = None,
                 require_auth: bool = False) -> None:
        self.jpeg, self.user, self.password = jpeg, user, password
        self.require_auth = require_auth
        self.mode: str | None = None
        self.hits: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.nonce = secrets.token_hex(8)
        self._changed = threading.Event()  # set when the mode changes or the camera stops: stalled answers end
        if mode is not None:
            self.set(mode)
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="http-camera", daemon=True)

    def url(self, path: str, credentials: bool = False) -> str:
        """Return the URL of path, with the camera's user:password when credentials is True."""
        auth = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@" if credentials else ""
        return f"http://{auth}127.0.0.1:{self.port}{path}"

    def start(self) -> HttpCamera:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def set(self, mode: str) -> None:
        """Answer every request with this mode from now on (counted as one injected fault unless 'good')."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        self.mode = mode
        if mode != "good":
            self.faults[mode] += 1
        changed, self._changed = self._changed, threading.Event()
        changed.set()  # releases stalled requests

    def stop(self) -> None:
        """Stop serving and release stalled requests."""
        self._changed.set()
        self.server.shutdown()
        self.server.server_close()

    def _basic_ok(self, header: str) -> bool:
        return header == "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

    def _digest_ok(self, header: str, method: str) -> bool:
        if not header.lower().startswith("digest "):
            return False
        f = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
        if f.get("username") != self.user or f.get("nonce") != self.nonce:
            return False
        ha1 = _md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = _md5(f"{method}:{f.get('uri', '')}")
        want = _md5(f"{ha1}:{self.nonce}:{f.get('nc', '')}:{f.get('cnonce', '')}:{f.get('qop', '')}:{ha2}")
        return secrets.compare_digest(want, f.get("response", ""))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        cam = self

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
                self.close_connection = True  # without a length, the body ends with the connection
                self.end_headers()
                chunk = cam.jpeg[:2] + b"\0" * (1024 * 1024 - 2)
                try:
                    for sent in range(0, total, len(chunk)):
                        self.wfile.write(chunk[:min(len(chunk), total - sent)])
                except OSError:
                    pass  # the client gave up past its cap, as it should

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                cam.hits[path] += 1
                mode = cam.mode or PATHS.get(path)
                auth = self.headers.get("Authorization", "")
                if mode is None:
                    self.send(404, b"not found", "text/plain")
                elif mode == "unauthorized" or ((cam.require_auth or mode == "basic") and not cam._basic_ok(auth)):
                    self.send(401, b"", "text/plain", {"WWW-Authenticate": f'Basic realm="{REALM}"'})
                elif mode == "digest" and not cam._digest_ok(auth, "GET"):
                    challenge = f'Digest realm="{REALM}", qop="auth", nonce="{cam.nonce}", algorithm=MD5'
                    self.send(401, b"", "text/plain", {"WWW-Authenticate": challenge})
                elif mode in ("good", "basic", "digest"):
                    self.send(200, cam.jpeg)
                elif mode == "500":
                    self.send(500, b"<h1>Internal Server Error</h1>", "text/html")
                elif mode == "html":
                    self.send(200, b"<!DOCTYPE html><html><body><form>Login</form></body></html>", "text/html")
                elif mode == "truncated":
                    self.send(200, cam.jpeg[:len(cam.jpeg) // 2])
                elif mode in ("zero", "giant"):
                    self.send(200, patch_size(cam.jpeg, *((0, 0) if mode == "zero" else (9000, 9000))))
                elif mode in ("huge", "endless"):
                    self.stream(HUGE, length=mode == "huge")
                elif mode == "stall":
                    cam._changed.wait(120)
                    self.close_connection = True  # the client gave up long ago

        return Handler
