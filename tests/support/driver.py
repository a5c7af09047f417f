"""The end of a driver process (a test's child that runs the alert service until told or killed)."""

from __future__ import annotations

import time

from monitor.alerts.alerting import Alerting


def started(alerts: Alerting) -> None:
    """Print ``started recovered=<n>``: the outbox rows a previous, killed process left in flight."""
    print(f"started recovered={alerts.outbox.recovered}", flush=True)


def finish(alerts: Alerting, flush_s: float, hold: bool) -> int:
    """Deliver for up to flush_s (printing ``flushed <bool>``), then hold until killed, or close; return 0."""
    if flush_s:
        print(f"flushed {alerts.flush(flush_s)}", flush=True)
    if hold:
        print("holding", flush=True)
        while True:
            time.sleep(1)
    alerts.close()
    return 0
