"""check-config: validate a config file and report every problem with its YAML line and field path."""

from __future__ import annotations

import argparse
import sys

from ..config import AppConfig, ConfigError, load_config
from ..redact import redact_url

NAME = "check-config"
HELP = "validate a config file; list every error with its line and field path"
DESCRIPTION = """Validate a YAML config without starting anything.

Prints one line per problem, e.g.
  error: line 17: sites[0].cameras[0].zones[2].counter: unknown counter 'desk-9'
and exits 1 when there is any error, 0 when the file is valid (warnings are printed too).
${ENV} references are expanded from the environment; ONESTOP__SECTION__FIELD variables override fields.
--shards N prints which sites and cameras each of N processes (run --shard I/N) would run, with a load
estimate."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("config", help="path of the YAML config file")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("--shards", type=int, metavar="N",
                   help="also print which sites and cameras each of N shards runs (run --shard I/N), with a load "
                        "estimate")


def run(args: argparse.Namespace) -> int:
    """Validate the file and print the outcome."""
    try:
        loaded = load_config(args.config)
    except ConfigError as exc:
        for issue in exc.issues:
            print(redact_url(f"{issue.file or exc.source}: {issue}"), file=sys.stderr)
        n = sum(1 for i in exc.issues if not i.warning)
        print(f"{exc.source}: invalid ({n} error{'s' if n != 1 else ''})", file=sys.stderr)
        return 1
    if not args.quiet:
        for w in loaded.warnings:
            print(f"{w.file or args.config}: {w}")
        cfg = loaded.config
        cams = sum(len(s.cameras) for s in cfg.sites)
        zones = sum(len(c.zones) for s in cfg.sites for c in s.cameras)
        print(f"{args.config}: OK ({len(cfg.sites)} site(s), {cams} camera(s), {zones} zone(s))")
    if args.shards is not None:
        return print_shard_plan(loaded.config, args.shards)
    return 0


def print_shard_plan(cfg: AppConfig, count: int) -> int:
    """Print the plan of ``count`` shards (rendezvous hashing by site id); 2 for a bad count."""
    from ..config.shard import MAX_SHARDS, format_plan, plan

    if not 1 <= count <= MAX_SHARDS:
        print(f"--shards must be between 1 and {MAX_SHARDS}", file=sys.stderr)
        return 2
    for line in format_plan(plan(cfg, count)):
        print(line)
    return 0
