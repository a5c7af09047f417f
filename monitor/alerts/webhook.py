"""Webhook delivery: a worker thread takes due outbox rows, signs and POSTs them, retries with backoff."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from .. import __version__
from ..config import WebhookConfig
from ..metrics import Metrics
from ..redact import redact_url
from .outbox import Delivery, Outbox
from .payloads import KEY_HEADER, SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

# Targets are served in parallel so one slow receiver does not hold back the others; a handful is plenty.
MAX_PARALLEL_TARGETS = 4
IDLE_WAIT_S = 5.0


@dataclass(frozen=True)
class SendOutcome:
    """What a non-HTTP sender (e-mail) made of one delivery: ok, or the metric outcome and error."""

    ok: bool
    outcome: str = "success"
    error: str = ""
    status: int | None = None


@dataclass(frozen=True)
class TargetSettings:
    """A webhook target with its site's retry policy; ``send`` delivers rows that do not go over HTTP."""

    hook: WebhookConfig | None
    retry_initial: float
    retry_max: float
    max_attempts: int
    send: Callable[[Delivery], SendOutcome] | None = None

    def backoff(self, attempts: int) -> float:
        """Return the delay after the ``attempts``-th failure: retry_initial doubling per attempt, capped.

        >>> TargetSettings(WebhookConfig(id="t", url="http://x"), 2.0, 600.0, 50).backoff(3)
        8.0
        """
        return float(min(self.retry_max, self.retry_initial * 2 ** max(0, attempts - 1)))


TargetLookup = Callable[[str, str], TargetSettings | None]


def metric_target(site: str, target: str) -> str:
    """Return the ``target`` label of delivery metrics: '<site>/<target>' (target ids repeat across sites)."""
    return f"{site}/{target}"


class Deliverer:
    """Sends outbox rows in order per target; run by its own thread (``start``) and/or by ``flush``."""

    def __init__(self, outbox: Outbox, targets: TargetLookup, metrics: Metrics,
                 clock: Callable[[], float] = time.time, env: Mapping[str, str] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        """Deliver ``outbox`` rows to the targets ``targets(site, id)`` returns; ``clock`` times retries."""
        self.outbox = outbox
        self.targets = targets
        self.metrics = metrics
        self.clock = clock
        self.env = os.environ if env is None else env
        self._transport = transport
        self._client: httpx.Client | None = None
        self._pool: ThreadPoolExecutor | None = None
        # One pass at a time: the worker and flush() never send the same row twice.
        self._pass_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="webhook-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the worker after its current request and release the HTTP client."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._pass_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            if self._client is not None:
                self._client.close()
                self._client = None

    def wake(self) -> None:
        """Tell the worker new rows are due."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                next_due = self.run_pass()
            except Exception:  # the worker must outlive a bad row or a broken database read
                log.exception("webhook delivery pass failed")
                next_due = None
            wait = IDLE_WAIT_S if next_due is None else min(IDLE_WAIT_S, max(0.0, next_due - self.clock()))
            self._wake.wait(wait)
            self._wake.clear()

    def flush(self, timeout: float) -> bool:
        """Deliver everything due, waiting out retry delays, until the outbox is empty or ``timeout`` passes.

        Returns True when nothing is left pending (delivered, or failed after max_attempts).
        """
        deadline = time.monotonic() + timeout
        while True:
            next_due = self.run_pass()
            if self.outbox.depth() == 0:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            pause = 0.05 if next_due is None else max(0.01, next_due - self.clock())
            time.sleep(min(pause, left, 0.5))

    # -- one pass --------------------------------------------------------------------------------------------

    def run_pass(self) -> float | None:
        """Send every due row (in order per target); return when the next one is due (None: none waits)."""
        with self._pass_lock:
            if self._client is None:
                self._client = httpx.Client(transport=self._transport, follow_redirects=False,
                                            headers={"User-Agent": f"onestop-monitor/{__version__}"})
            if self._pool is None:
                self._pool = ThreadPoolExecutor(MAX_PARALLEL_TARGETS, thread_name_prefix="webhook")
            now = self.clock()
            due = [h for h in self.outbox.heads() if h.next_at <= now]
            list(self._pool.map(self._drain_target, due))
            heads = self.outbox.heads()
            self.metrics.webhook_queue_depth.set(self.outbox.depth())
            return min((h.next_at for h in heads), default=None)

    def _drain_target(self, row: Delivery | None) -> None:
        # Deliver this target's rows one after another until one fails (it then waits for its retry time).
        while row is not None and row.next_at <= self.clock():
            if not self._send(row):
                return
            row = self.outbox.head(row.site, row.target)

    def _send(self, row: Delivery) -> bool:
        settings = self.targets(row.site, row.target)
        label = metric_target(row.site, row.target)
        if settings is None:
            self.outbox.mark_failed_attempt(row.id, self.clock(), None, "target no longer configured", None)
            self.metrics.webhook_deliveries.labels(label, "no_target").inc()
            log.warning("webhook target gone; notification kept as failed",
                        extra={"site": row.site, "target": row.target, "key": row.key})
            return True
        if settings.send is not None:
            return self._send_other(row, settings, settings.send)
        hook = settings.hook
        if hook is None:
            return self._failed(row, settings, "config_error", "target has neither a URL nor a sender", None)
        headers = {"Content-Type": "application/json; charset=utf-8", KEY_HEADER: row.key}
        if hook.secret_env:
            secret = self.env.get(hook.secret_env, "")
            if not secret:
                return self._failed(row, settings, "config_error",
                                    f"environment variable {hook.secret_env} is not set: cannot sign", None)
            headers[SIGNATURE_HEADER] = sign(secret, row.body, int(self.clock()))
        self.outbox.mark_sending(row.id, self.clock())
        assert self._client is not None
        try:
            resp = self._client.post(hook.url, content=row.body, headers=headers, timeout=hook.timeout)
        except httpx.TimeoutException as exc:
            return self._failed(row, settings, "timeout", f"timeout: {type(exc).__name__}", None)
        except httpx.ConnectError as exc:
            return self._failed(row, settings, "connect_error", f"connect: {exc}", None)
        except httpx.HTTPError as exc:
            return self._failed(row, settings, "network_error", f"{type(exc).__name__}: {exc}", None)
        if 200 <= resp.status_code < 300:
            self.outbox.mark_delivered(row.id, self.clock(), resp.status_code)
            self.metrics.webhook_deliveries.labels(label, "success").inc()
            return True
        return self._failed(row, settings, "http_error", f"HTTP {resp.status_code}", resp.status_code)

    def _send_other(self, row: Delivery, settings: TargetSettings, send: Callable[[Delivery], SendOutcome]) -> bool:
        self.outbox.mark_sending(row.id, self.clock())
        try:
            result = send(row)
        except Exception as exc:  # a sender bug is a failed attempt, retried like any other
            result = SendOutcome(False, "network_error", f"{type(exc).__name__}: {exc}")
        if result.ok:
            self.outbox.mark_delivered(row.id, self.clock(), result.status or 0)
            self.metrics.webhook_deliveries.labels(metric_target(row.site, row.target), "success").inc()
            return True
        return self._failed(row, settings, result.outcome, result.error, result.status)

    def _failed(self, row: Delivery, settings: TargetSettings, outcome: str, error: str,
                status: int | None) -> bool:
        attempts = row.attempts + 1
        now = self.clock()
        next_at = None if attempts >= settings.max_attempts else now + settings.backoff(attempts)
        self.outbox.mark_failed_attempt(row.id, now, next_at, redact_url(error), status)
        self.metrics.webhook_deliveries.labels(metric_target(row.site, row.target), outcome).inc()
        log.warning("webhook delivery failed" if next_at is not None else "webhook delivery given up",
                    extra={"site": row.site, "target": row.target, "key": row.key, "attempt": attempts,
                           "outcome": outcome, "error": redact_url(error),
                           "retry_in_s": None if next_at is None else round(next_at - now, 3)})
        return False
