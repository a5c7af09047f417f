"""The fault-injection proxy itself: forwards, stalls, cuts and slows real TCP connections on 127.0.0.1."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from tests.support.tcp_proxy import TcpProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except OSError:
            pass  # reset by the proxy: that is the point of the cut test


@pytest.fixture
def echo() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def roundtrip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def test_forwards_then_stalls_then_resumes(echo: int) -> None:
    with TcpProxy(echo) as proxy, socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as c:
        assert roundtrip(c, b"hello") == b"hello"
        proxy.stall()
        c.sendall(b"during stall")
        c.settimeout(0.5)
        with pytest.raises(TimeoutError):
            c.recv(100)  # the connection is open but nothing moves
        proxy.restore()
        c.settimeout(5)
        assert roundtrip(c, b"") == b"" and c.recv(100) == b"during stall"
        assert proxy.faults == {"stall": 1}


def test_cut_resets_open_and_new_connections_until_restored(echo: int) -> None:
    with TcpProxy(echo) as proxy:
        c = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        assert roundtrip(c, b"x") == b"x"
        proxy.cut()
        with pytest.raises(OSError):  # reset by peer (or EOF then broken pipe)
            for _ in range(50):
                c.sendall(b"y")
                if not c.recv(10):
                    raise ConnectionResetError("closed")
                time.sleep(0.02)
        c.close()
        with pytest.raises(OSError):  # reset at once: while connecting or at the first read
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as d:
                if not d.recv(10):
                    raise ConnectionResetError("closed")
        proxy.restore()
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as e:
            assert roundtrip(e, b"back") == b"back"
        assert proxy.faults == {"cut": 1}


def test_slow_limits_the_rate(echo: int) -> None:
    with TcpProxy(echo) as proxy, socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as c:
        proxy.slow(20_000)
        payload = b"z" * 20_000
        t0 = time.monotonic()
        assert roundtrip(c, payload) == payload
        took = time.monotonic() - t0
        proxy.restore()
        # Not a timing assertion on the code under test: it checks the test tool throttles at all.
        print(f"20 kB echoed through a 20 kB/s proxy in {took:.2f} s")
        assert took >= 0.9
