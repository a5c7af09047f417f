"""Storage helpers shared by the parts that keep state on disk (the alert outbox, the history database)."""

from .sqlite import Database

__all__ = ["Database"]
