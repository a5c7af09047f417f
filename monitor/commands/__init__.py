"""Subcommands of onestop-monitor, discovered by monitor.cli."""
