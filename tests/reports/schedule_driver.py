"""Driver process for the scheduled-report tests: makes due reports, delivers them, serves download links.

Run from the repo root: ``python -m tests.reports.schedule_driver --config C --now UNIX [--deliver S]
[--serve PORT] [--hold]``. The scheduler's clock is fixed at ``--now`` (the delivery worker uses the real
clock). Prints ``queued <key>...`` after committing due reports, ``flushed <bool>`` after delivering, ``serving``
once the API answers, then holds until killed when asked to.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import uvicorn

from monitor.alerts.alerting import Alerting
from monitor.api.app import create_app
from monitor.api.deps import AppParts
from monitor.config import load_config
from monitor.metrics import Metrics
from monitor.reports.reporting import Reporting
from tests.support.driver import finish, started


def main() -> int:
    """Run one step of the scheduled-report life cycle."""
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--now", type=float, required=True)
    p.add_argument("--deliver", type=float, default=0.0, help="flush deliveries for up to this many seconds")
    p.add_argument("--serve", type=int, default=0, help="serve the API (download links) on this port")
    p.add_argument("--hold", action="store_true")
    args = p.parse_args()
    loaded = load_config(args.config)
    metrics = Metrics()
    alerts = Alerting(loaded.config.sites, loaded.config.service.state_dir, metrics)
    reports = Reporting(loaded, metrics, clock=lambda: args.now)
    reports.attach(None, alerts)
    assert reports.scheduler is not None
    started(alerts)
    print("queued", *reports.scheduler.run_due(), flush=True)
    if args.serve:
        app = create_app(AppParts(config=loaded, metrics=metrics, engine=None, alerts=alerts,
                                  reports=reports))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.serve, log_config=None,
                                               access_log=False, lifespan="off"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        print("serving", flush=True)
    return finish(alerts, args.deliver, args.hold)


if __name__ == "__main__":
    sys.exit(main())
