"""Run the benchmark: ``python -m benchmarks OPTIONS_JSON``, which ``onestop-monitor bench`` starts (see its --help)."""

from __future__ import annotations

import argparse
import json
import sys

from .report import render
from .runner import BenchError, BenchOptions, run_bench


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; exit 2 when it cannot run here, 1 when a step fails."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("options", help="the bench command's options as one JSON object (BenchOptions fields)")
    args = ap.parse_args(argv)
    try:
        opts = BenchOptions.from_json(json.loads(args.options))
    except (ValueError, TypeError, KeyError) as exc:
        print(f"bench: bad options {args.options!r}: {exc}", file=sys.stderr)
        return 2
    print(f"bench: {opts.cameras} cameras, {opts.size[0]}x{opts.size[1]}, interval {opts.interval_s:g} s, "
          f"{opts.duration_s:g} s, device {opts.device}, backend {opts.backend}", flush=True)
    try:
        result = run_bench(opts, say=lambda line: print(f"bench: {line}", file=sys.stderr, flush=True))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2 if "unavailable" in str(exc) or "not found" in str(exc) else 1
    for line in render(result):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
