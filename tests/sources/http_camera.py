"""A local HTTP snapshot camera for tests: good and broken answers of real cameras, on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import secrets
import sys
import threading
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

HUGE = 50 * 1024 * 1024
USER, PASSWORD = "operator", "p@ss:word#9"
REALM = "IP Camera"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up mid-answer (past their body cap, on stop) is what the tests provoke, not a fault.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - Digest auth is MD5 by definition


class HttpCamera:
    """Serves `jpeg` under paths that each behave like one real camera answer.

    /good.jpg, /cgi-bin/snapshot.cgi  the picture
    /error.jpg    HTTP 500            /login.jpg   an HTML login page with status 200
    /truncated.jpg  half the JPEG     /huge.jpg    50 MB body with Content-Length
    /endless.jpg  50 MB, no length    /stall.jpg   accepts, never answers
    /basic.jpg    needs Basic auth    /digest.jpg  needs Digest auth (like Hikvision)
    /giant.jpg    a JPEG whose header claims 9000x9000 pixels
    """

    def __init__(self, jpeg: bytes) -> None:
        self.jpeg = jpeg
        self.hits: Counter[str] = Counter()
        self.closing = threading.Event()
        self.nonce = secrets.token_hex(8)
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="http-camera", daemon=True)

    def url(self, path: str, credentials: bool = False) -> str:
        """Return the URL of path, with the camera's user:password when credentials is True."""
        auth = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@" if credentials else ""
        return f"http://{auth}127.0.0.1:{self.port}{path}"

    def start(self) -> HttpCamera:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release stalled handlers."""
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def giant_jpeg(self) -> bytes:
        """Return the JPEG with its frame header patched to claim 9000x9000 pixels."""
        data = bytearray(self.jpeg)
        i = 2
        while data[i + 1] not in (0xC0, 0xC1, 0xC2):
            i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
        data[i + 5:i + 9] = (9000).to_bytes(2, "big") * 2
        return bytes(data)

    def _digest_ok(self, header: str, method: str) -> bool:
        if not header.lower().startswith("digest "):
            return False
        f = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
        if f.get("username") != USER or f.get("nonce") != self.nonce:
            return False
        ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
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
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up past its cap, as it should

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                cam.hits[path] += 1
                auth = self.headers.get("Authorization", "")
                if path in ("/good.jpg", "/cgi-bin/snapshot.cgi"):
                    self.send(200, cam.jpeg)
                elif path == "/error.jpg":
                    self.send(500, b"<h1>Internal Server Error</h1>", "text/html")
                elif path == "/login.jpg":
                    self.send(200, b"<!DOCTYPE html><html><body><form>Login</form></body></html>",
                              "text/html")
                elif path == "/truncated.jpg":
                    self.send(200, cam.jpeg[:len(cam.jpeg) // 2])
                elif path == "/giant.jpg":
                    self.send(200, cam.giant_jpeg())
                elif path == "/huge.jpg":
                    self.stream(HUGE, length=True)
                elif path == "/endless.jpg":
                    self.stream(HUGE, length=False)
                elif path == "/stall.jpg":
                    cam.closing.wait(60)
                elif path == "/basic.jpg":
                    good = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                    if auth == good:
                        self.send(200, cam.jpeg)
                    else:
                        self.send(401, b"", "text/plain", {"WWW-Authenticate": f'Basic realm="{REALM}"'})
                elif path == "/digest.jpg":
                    if cam._digest_ok(auth, "GET"):
                        self.send(200, cam.jpeg)
                    else:
                        challenge = f'Digest realm="{REALM}", qop="auth", nonce="{cam.nonce}", algorithm=MD5'
                        self.send(401, b"", "text/plain", {"WWW-Authenticate": challenge})
                else:
                    self.send(404, b"not found", "text/plain")

        return Handler
