"""A TCP proxy on 127.0.0.1 for fault injection between a client (the service) and a server (an RTSP camera).

    with TcpProxy(rtsp_port) as proxy:
        url = f"rtsp://user:pw@127.0.0.1:{proxy.port}/cam"
        proxy.stall()        # connections stay open, no byte moves either way (a hung camera or a dead link)
        proxy.cut()          # every connection reset now, new ones reset at once (cable pulled, camera rebooting)
        proxy.slow(2_000)    # at most 2000 bytes/s each way (a saturated uplink)
        proxy.restore()      # back to normal forwarding

`faults` counts each injection by kind, so tests can report how many they made.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
import time
from collections import Counter
from types import TracebackType
from typing import Literal

Mode = Literal["pass", "stall", "cut", "slow"]
CHUNK = 16 * 1024


def _reset(sock: socket.socket) -> None:
    """Close with RST (linger 0), as a dropped link or a crashed peer looks to the other side."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class _Link:
    """One client connection and its upstream connection, pumped by one thread."""

    def __init__(self, proxy: TcpProxy, client: socket.socket, upstream: socket.socket) -> None:
        self.proxy, self.client, self.upstream = proxy, client, upstream
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._pump, name="tcp-proxy-link", daemon=True)

    def close(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            _reset(self.client)
            _reset(self.upstream)

    def _pump(self) -> None:
        sel = selectors.DefaultSelector()
        peer = {self.client: self.upstream, self.upstream: self.client}
        try:
            sel.register(self.client, selectors.EVENT_READ)
            sel.register(self.upstream, selectors.EVENT_READ)
            while not self.closed.is_set():
                mode, rate = self.proxy.mode, self.proxy.rate
                if mode == "stall":
                    # Read nothing, send nothing: the kernel buffers fill and both sides see a silent peer.
                    with self.proxy.changed:
                        self.proxy.changed.wait_for(lambda: self.proxy.mode != "stall", 0.1)
                    continue
                for key, _ in sel.select(0.1):
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    limit = CHUNK if mode != "slow" else max(1, min(CHUNK, int(rate / 10)))
                    try:
                        data = src.recv(limit)
                    except OSError:
                        data = b""
                    if not data:
                        return
                    peer[src].sendall(data)
                    self.proxy.count_bytes(len(data))
                    if mode == "slow":
                        time.sleep(len(data) / rate)
        except OSError:
            return
        finally:
            sel.close()
            self.close()
            self.proxy.forget(self)


class TcpProxy:
    """Listens on 127.0.0.1:port (0 picks one) and forwards each connection to target_host:target_port."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", port: int = 0) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self.mode: Mode = "pass"
        self.rate = 0.0
        self.faults: Counter[str] = Counter()
        self.accepted = 0
        self.bytes = 0
        self.changed = threading.Condition()
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)

    # -- control -------------------------------------------------------------------------------------------------

    def start(self) -> TcpProxy:
        """Start accepting connections."""
        self._thread.start()
        return self

    def _set(self, mode: Mode, rate: float = 0.0) -> None:
        with self.changed:
            self.mode, self.rate = mode, rate
            self.changed.notify_all()

    def stall(self) -> None:
        """Stop moving bytes on every connection, open or new, until restore()."""
        self.faults["stall"] += 1
        self._set("stall")

    def cut(self) -> None:
        """Reset every open connection; new connections are reset at once until restore()."""
        self.faults["cut"] += 1
        self._set("cut")
        self.drop_all()

    def slow(self, bytes_per_s: float) -> None:
        """Forward at most bytes_per_s in each direction of each connection until restore()."""
        if bytes_per_s <= 0:
            raise ValueError("rate must be positive")
        self.faults["slow"] += 1
        self._set("slow", float(bytes_per_s))

    def restore(self) -> None:
        """Forward normally again (connections reset by cut() stay gone; clients reconnect)."""
        self._set("pass")

    def drop_all(self) -> None:
        """Reset every open connection now (the mode is unchanged)."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()

    @property
    def connections(self) -> int:
        """Return the number of open proxied connections."""
        with self._lock:
            return len(self._links)

    def count_bytes(self, n: int) -> None:
        """Add n to the forwarded byte count (called by the links)."""
        with self._lock:
            self.bytes += n

    def forget(self, link: _Link) -> None:
        """Drop a finished link from the open set (called by the link)."""
        with self._lock:
            self._links.discard(link)

    def close(self) -> None:
        """Stop listening and reset every connection."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._listener.close()
        self.drop_all()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- serving -------------------------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            if self.mode == "cut":
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)  # the server is down: the client sees its connection reset
                continue
            for s in (client, upstream):
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(self, client, upstream)
            with self._lock:
                self._links.add(link)
            link.thread.start()
