"""SQLite files of the service: one connection shared by threads behind a lock, WAL journal, explicit transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal


class Database:
    """One SQLite file opened once and shared by threads; each use holds the lock for a statement or a transaction.

    The connection never starts a transaction by itself (isolation_level=None): `transaction` does, with
    BEGIN IMMEDIATE, which takes the write lock at once so two writers never deadlock upgrading a read lock.
    `synchronous` is the durability: FULL fsyncs every commit (survives a power cut), NORMAL survives a killed
    process but may lose the last commits to a power cut.
    """

    def __init__(self, path: Path, *, synchronous: Literal["FULL", "NORMAL"], timeout: float,
                 foreign_keys: bool = False) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        if foreign_keys:
            self.conn.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one transaction: committed at its end, rolled back if it raises."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock for the block's statements (each one is its own transaction)."""
        with self.lock:
            yield self.conn

    def close(self) -> None:
        """Close the connection (waits for the statement in progress)."""
        with self.lock:
            self.conn.close()
