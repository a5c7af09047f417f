"""The SQLite outbox: notifications and their deliveries are committed before any send, so none is ever lost.

Durability: WAL journal with synchronous=FULL. WAL with NORMAL already survives a killed process (kill -9),
since a commit is in the OS page cache once written; FULL also fsyncs the WAL on every commit so an alert
survives a power cut of the office PC. Writes are rare (a notification, a delivery outcome, or rule state
saved at most every few seconds), so the fsync costs nothing noticeable.

Delivery rows move pending -> sending -> delivered, or back to pending with a later ``next_at`` after a
failure, or to failed after max_attempts (kept for inspection). A row found in 'sending' when the outbox opens
was in flight when the process died: it is made pending again and re-sent with the same body and key.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..storage import Database
from .notification import Notification

DB_NAME = "onestop.db"
UNFINISHED = ("pending", "sending")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    key TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    at REAL NOT NULL,
    created REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_site_at ON notifications (site, at);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL REFERENCES notifications (key) ON DELETE CASCADE,
    site TEXT NOT NULL,
    target TEXT NOT NULL,
    format TEXT NOT NULL,
    body BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    last_error TEXT,
    last_status INTEGER,
    delivered_at REAL,
    UNIQUE (key, site, target)
);
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries (state, site, target, id);
CREATE TABLE IF NOT EXISTS kv (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated REAL NOT NULL
);
"""


_FIELDS = ("id", "key", "site", "target", "format", "body", "state", "attempts", "next_at", "last_error",
           "last_status", "delivered_at")
_COLS = ", ".join(_FIELDS)
_COLS_D = ", ".join(f"d.{f}" for f in _FIELDS)


@dataclass(frozen=True)
class Delivery:
    """One notification bound for one target."""

    id: int
    key: str
    site: str
    target: str
    format: str
    body: bytes
    state: str
    attempts: int
    next_at: float
    last_error: str | None = None
    last_status: int | None = None
    delivered_at: float | None = None


@dataclass(frozen=True)
class Outgoing:
    """A rendered body for one target, to enqueue with its notification."""

    target: str
    format: str
    body: bytes


class Outbox:
    """Persistent queue of notifications x targets in ``<state_dir>/onestop.db``; shared by threads."""

    def __init__(self, state_dir: Path) -> None:
        """Open (or create) the database and make rows left in flight by a crash pending again."""
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / DB_NAME
        # One connection behind a lock: the pipeline, the API and the delivery worker each hold it only for a
        # short statement, never across an HTTP request.
        self._sql = Database(self.path, synchronous="FULL", timeout=10.0, foreign_keys=True)
        with self._sql.reading() as db:
            db.executescript(_SCHEMA)
        self.recovered = self._recover()

    def close(self) -> None:
        """Close the database."""
        self._sql.close()

    def _recover(self) -> int:
        with self._sql.transaction() as db:
            return db.execute("UPDATE deliveries SET state='pending' WHERE state='sending'").rowcount

    # -- writing ---------------------------------------------------------------------------------------------

    def enqueue(self, items: Iterable[tuple[Notification, list[Outgoing]]], now: float,
                state: dict[str, Any] | None = None) -> int:
        """Commit notifications, one delivery row per target, and optional state entries in one transaction.

        Returns the number of delivery rows added. A notification already stored (same key) is not re-added.
        """
        added = 0
        with self._sql.transaction() as db:
            for n, outs in items:
                db.execute("INSERT OR IGNORE INTO notifications (key, site, rule, kind, status, at, created, "
                           "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (n.key, n.site, n.rule, n.kind, n.status, n.at, now, n.to_json()))
                for o in outs:
                    added += db.execute(
                        "INSERT OR IGNORE INTO deliveries (key, site, target, format, body, next_at, "
                        "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (n.key, n.site, o.target, o.format, o.body, now, now, now)).rowcount
            for name, value in (state or {}).items():
                self._put(db, name, value, now)
        return added

    @staticmethod
    def _put(db: sqlite3.Connection, name: str, value: Any, now: float) -> None:
        db.execute("INSERT INTO kv (name, value, updated) VALUES (?, ?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET value=excluded.value, updated=excluded.updated",
                   (name, json.dumps(value, ensure_ascii=False), now))

    def put_state(self, values: dict[str, Any], now: float) -> None:
        """Store JSON values by name (rule and summary state)."""
        with self._sql.transaction() as db:
            for name, value in values.items():
                self._put(db, name, value, now)

    def get_state(self, name: str) -> Any:
        """Return a stored JSON value, or None."""
        with self._sql.reading() as db:
            row = db.execute("SELECT value FROM kv WHERE name=?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    # -- the delivery queue ----------------------------------------------------------------------------------

    def heads(self) -> list[Delivery]:
        """Return the oldest unfinished delivery of every (site, target): targets get their rows in order."""
        with self._sql.reading() as db:
            rows = db.execute(
                f"SELECT {_COLS_D} FROM deliveries d JOIN (SELECT MIN(id) AS id FROM deliveries "
                "WHERE state IN ('pending', 'sending') GROUP BY site, target) h ON d.id = h.id "
                "ORDER BY d.next_at").fetchall()
        return [self._row(r) for r in rows]

    def head(self, site: str, target: str) -> Delivery | None:
        """Return the oldest unfinished delivery for one target, or None."""
        with self._sql.reading() as db:
            row = db.execute(f"SELECT {_COLS} FROM deliveries WHERE site=? AND target=? AND state IN "
                             "('pending', 'sending') ORDER BY id LIMIT 1", (site, target)).fetchone()
        return self._row(row) if row else None

    def mark_sending(self, row_id: int, now: float) -> None:
        """Record that a send starts (committed before the request leaves)."""
        with self._sql.transaction() as db:
            db.execute("UPDATE deliveries SET state='sending', updated=? WHERE id=?", (now, row_id))

    def mark_delivered(self, row_id: int, now: float, status: int) -> None:
        """Record an acknowledged (2xx) delivery."""
        with self._sql.transaction() as db:
            db.execute("UPDATE deliveries SET state='delivered', attempts=attempts+1, updated=?, "
                       "delivered_at=?, last_status=?, last_error=NULL WHERE id=?",
                       (now, now, status, row_id))

    def mark_failed_attempt(self, row_id: int, now: float, next_at: float | None, error: str,
                            status: int | None) -> None:
        """Record a failed attempt: retry at ``next_at``, or give up (state 'failed') when it is None."""
        state = "failed" if next_at is None else "pending"
        with self._sql.transaction() as db:
            db.execute("UPDATE deliveries SET state=?, attempts=attempts+1, next_at=?, updated=?, "
                       "last_error=?, last_status=? WHERE id=?",
                       (state, now if next_at is None else next_at, now, error[:500], status, row_id))

    def depth(self) -> int:
        """Return how many deliveries are waiting (pending or in flight)."""
        with self._sql.reading() as db:
            row = db.execute("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending')")
            return int(row.fetchone()[0])

    def prune(self, before: float) -> int:
        """Delete notifications created before ``before`` with every delivery finished; return how many."""
        with self._sql.transaction() as db:
            return db.execute("DELETE FROM notifications WHERE created < ? AND key NOT IN (SELECT key FROM "
                              "deliveries WHERE state IN ('pending', 'sending'))", (before,)).rowcount

    # -- reading ---------------------------------------------------------------------------------------------

    def deliveries(self, key: str | None = None) -> list[Delivery]:
        """Return the delivery rows (of one notification, or all), oldest first."""
        with self._sql.reading() as db:
            if key is None:
                rows = db.execute(f"SELECT {_COLS} FROM deliveries ORDER BY id").fetchall()
            else:
                rows = db.execute(f"SELECT {_COLS} FROM deliveries WHERE key=? ORDER BY id", (key,)).fetchall()
        return [self._row(r) for r in rows]

    def recent(self, site: str | None = None, rule: str | None = None, status: str | None = None,
               limit: int = 100, since: float | None = None) -> list[Notification]:
        """Return stored notifications, newest first, filtered by site, rule, status and rule time."""
        where: list[str] = []
        args: list[object] = []
        for col, val in (("site", site), ("rule", rule), ("status", status)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        if since is not None:
            where.append("at>=?")
            args.append(since)
        sql = "SELECT data FROM notifications" + (" WHERE " + " AND ".join(where) if where else "")
        with self._sql.reading() as db:
            rows = db.execute(sql + " ORDER BY at DESC, rowid DESC LIMIT ?", (*args, limit)).fetchall()
        return [Notification.from_dict(json.loads(r[0])) for r in rows]

    @staticmethod
    def _row(r: tuple[Any, ...]) -> Delivery:
        return Delivery(r[0], r[1], r[2], r[3], r[4], bytes(r[5]), *r[6:])
