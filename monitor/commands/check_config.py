"""check-config: validate a config file and report every problem with its YAML line and field path."""

from __future__ import annotations

import argparse
import sys

from ..config import ConfigError, load_config
from ..redact import redact_url

NAME = "check-config"
HELP = "validate a config file; list every error with its line and field path"
DESCRIPTION = """Validate a YAML config without starting anything.

Prints one line per problem, e.g.
  error: line 17: sites[0].cameras[0].zones[2].counter: unknown counter 'desk-9'
and exits 1 when there is any error, 0 when the file is valid (warnings are printed too).
${ENV} references are expanded from the environment; ONESTOP__SECTION__FIELD variables override fields."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("config", help="path of the YAML config file")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")


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
    return 0
