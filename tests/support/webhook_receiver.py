"""A real webhook receiver on 127.0.0.1 for tests: records requests, can fail n times, hang, or be down."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered
    duplicate: bool  # a 2xx answer for a key already acknowledged before (the receiver deduped it)
    at: float

    @property
    def key(self) -> str:
        """Return the Idempotency-Key header."""
        return self.headers.get("idempotency-key", "")

    def json(self) -> Any:
        """Return the decoded JSON body."""
        return json.loads(self.body)


def verify_signature(secret: str, body: bytes, header: str, now: float, tolerance_s: float = 300.0) -> bool:
    """Check X-Onestop-Signature as a receiver would (written apart from monitor's code on purpose)."""
    fields = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if "t" not in fields or "v1" not in fields or abs(now - int(fields["t"])) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class WebhookReceiver:
    """Threaded HTTP server recording POSTs; programmable failures.

    >>> with WebhookReceiver() as rx:   # doctest: +SKIP
    ...     rx.fail_next(2, 500)
    ...     url = rx.url("/hook")
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind now (port 0 picks a free port); serve after ``start``."""
        self.host, self.port = host, port
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._fail: list[int] = []  # statuses to answer next, in order
        self._delay = 0.0
        self._acked: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._changed = threading.Condition(self._lock)

    # -- control ---------------------------------------------------------------------------------------------

    def start(self) -> WebhookReceiver:
        """Listen and serve in a background thread (also used to come back up on the same port)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._handle(self, body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
                pass

        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start`` again (same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, path: str = "/hook") -> str:
        """Return the URL of a path on this receiver."""
        return f"http://{self.host}:{self.port}{path}"

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` requests with ``status``."""
        with self._lock:
            self._fail.extend([status] * n)

    def hang(self, seconds: float) -> None:
        """Wait this long before answering each request (0 to stop hanging)."""
        with self._lock:
            self._delay = seconds

    # -- serving ---------------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        key = headers.get("idempotency-key", "")
        with self._lock:
            status = self._fail.pop(0) if self._fail else 200
            delay = self._delay
            duplicate = 200 <= status < 300 and key in self._acked
            if 200 <= status < 300:
                self._acked.add(key)
            self.requests.append(Received(handler.path, headers, body, status, duplicate, time.time()))
            self._changed.notify_all()
        if delay:
            time.sleep(delay)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            handler.wfile.write(b'{"ok": true}' if 200 <= status < 300 else b'{"ok": false}')
        except OSError:
            pass  # the sender went away (killed mid-request)

    # -- reading ---------------------------------------------------------------------------------------------

    def snapshot(self) -> list[Received]:
        """Return the requests so far."""
        with self._lock:
            return list(self.requests)

    def acked(self) -> list[Received]:
        """Return the requests answered 2xx."""
        return [r for r in self.snapshot() if 200 <= r.status < 300]

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate(requests)`` holds; return whether it did within ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self.requests)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True
