"""Driver process for the kill -9 tests: runs an Alerting over synthetic snapshots and reports each step.

Run from the repo root: ``python -m tests.alerts.kill_driver --state-dir D --url U [--first N] [--last M]``.
Step i is a snapshot at 08:00 + 30 s x i with a queue of 6 (even i) or 0 (odd i); the rule fires at once and
clears at once, so every step makes exactly one notification. After each step the driver prints
``step <i> <key>...`` (the notifications are committed by then).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from monitor.alerts.alerting import Alerting
from monitor.metrics import Metrics
from tests.alerts.helpers import TUESDAY_8AM, make_site, snap
from tests.support.driver import finish, started

RULE = {"kind": "long_queue", "zone": "waiting", "min_people": 5, "for": 0, "clear_after": 0,
        "repeat_every": "24h"}


def main() -> int:
    """Run the steps, then flush and/or hold until killed."""
    p = argparse.ArgumentParser()
    p.add_argument("--state-dir", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--last", type=int, default=-1, help="last step (inclusive); -1 for none")
    p.add_argument("--interval", type=float, default=0.0, help="seconds between steps")
    p.add_argument("--deliver", action="store_true", help="run the delivery worker")
    p.add_argument("--flush", type=float, default=0.0, help="flush for this long before exiting")
    p.add_argument("--hold", action="store_true", help="sleep until killed")
    args = p.parse_args()
    site = make_site([RULE], [{"id": "supervisors", "url": args.url, "timeout": 10}],
                     retry_initial=0.05, retry_max=0.2, max_attempts=10_000)
    svc = Alerting([site], args.state_dir, Metrics())
    started(svc)
    if args.deliver:
        svc.start()
    for i in range(args.first, args.last + 1):
        notes = svc.process(snap(TUESDAY_8AM + dt.timedelta(seconds=30 * i), queue=6 if i % 2 == 0 else 0))
        print("step", i, *[n.key for n in notes], flush=True)
        time.sleep(args.interval)
    return finish(svc, args.flush, args.hold)


if __name__ == "__main__":
    sys.exit(main())
