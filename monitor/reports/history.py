"""The history database (<state_dir>/history.db): per-minute rows, services, alerts; versioned migrations.

Seconds are stored as whole tenths of a second (``*_ds`` columns, INTEGER) so a row takes a few bytes per
figure. Minutes are unix minutes (``floor(t / 60)``). WAL journal with synchronous=NORMAL: a batch committed
before a ``kill -9`` is kept (it is in the OS cache); a power cut may lose the last batch, which is history, not
an alert. Writers: one thread (the recorder) or one ``replay``; readers (reports) open their own connections.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..storage import Database
from .accumulate import STATES, Batch

HISTORY_DB = "history.db"

# Each entry moves the schema one version up; never edit a released one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: per-minute counter and queue-zone rows, services, alerts, and what each zone belongs to.
    """
    CREATE TABLE counter_minutes (
        site TEXT NOT NULL, minute INTEGER NOT NULL, counter TEXT NOT NULL,
        open_ds INTEGER NOT NULL, known_ds INTEGER NOT NULL, unknown_ds INTEGER NOT NULL,
        staffed_ds INTEGER NOT NULL, staffed_known_ds INTEGER NOT NULL,
        serving_ds INTEGER NOT NULL, waiting_unstaffed_ds INTEGER NOT NULL, idle_staffed_ds INTEGER NOT NULL,
        unstaffed_ds INTEGER NOT NULL, other_ds INTEGER NOT NULL,
        PRIMARY KEY (site, minute, counter)) WITHOUT ROWID;
    CREATE TABLE zone_minutes (
        site TEXT NOT NULL, minute INTEGER NOT NULL, zone TEXT NOT NULL,
        open_ds INTEGER NOT NULL, known_ds INTEGER NOT NULL, people_ds INTEGER NOT NULL, peak REAL,
        over_ds INTEGER NOT NULL, threshold INTEGER,
        wait_known_ds INTEGER NOT NULL, wait_ss INTEGER NOT NULL, wait_peak REAL, wait_over_ds INTEGER NOT NULL,
        PRIMARY KEY (site, minute, zone)) WITHOUT ROWID;
    CREATE TABLE zones (
        site TEXT NOT NULL, zone TEXT NOT NULL, camera TEXT NOT NULL, counter TEXT,
        PRIMARY KEY (site, zone)) WITHOUT ROWID;
    CREATE TABLE services (
        site TEXT NOT NULL, counter TEXT NOT NULL, ended_at REAL NOT NULL, duration_s REAL NOT NULL,
        PRIMARY KEY (site, ended_at, counter)) WITHOUT ROWID;
    CREATE TABLE alerts (
        key TEXT PRIMARY KEY, site TEXT NOT NULL, rule TEXT NOT NULL, kind TEXT NOT NULL, at REAL NOT NULL,
        subject TEXT NOT NULL);
    CREATE INDEX alerts_site_at ON alerts (site, at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(RuntimeError):
    """The history database cannot be used (written by a newer version, unreadable)."""


def _ds(seconds: float) -> int:
    return int(round(seconds * 10))


@dataclass(frozen=True)
class CounterTotals:
    """Sums of a counter's minutes over some office-hour spans (seconds)."""

    open_s: float = 0.0
    known_s: float = 0.0
    unknown_s: float = 0.0
    staffed_s: float = 0.0
    staffed_known_s: float = 0.0
    serving_s: float = 0.0
    waiting_unstaffed_s: float = 0.0
    idle_staffed_s: float = 0.0
    unstaffed_s: float = 0.0
    other_s: float = 0.0

    def __add__(self, other: CounterTotals) -> CounterTotals:
        """Return the field-wise sum."""
        return CounterTotals(*(a + b for a, b in zip(_astuple(self), _astuple(other), strict=True)))


@dataclass(frozen=True)
class ZoneTotals:
    """Sums of a queue zone's minutes over some office-hour spans."""

    open_s: float = 0.0
    known_s: float = 0.0
    people_s: float = 0.0
    peak: float | None = None
    over_s: float = 0.0
    threshold: int | None = None
    wait_known_s: float = 0.0
    wait_ss: float = 0.0
    wait_peak: float | None = None
    wait_over_s: float = 0.0

    def __add__(self, other: ZoneTotals) -> ZoneTotals:
        """Return the sum (peaks: the larger; threshold: the latest known)."""
        return ZoneTotals(self.open_s + other.open_s, self.known_s + other.known_s, self.people_s + other.people_s,
                          _max(self.peak, other.peak), self.over_s + other.over_s,
                          other.threshold if other.threshold is not None else self.threshold,
                          self.wait_known_s + other.wait_known_s, self.wait_ss + other.wait_ss,
                          _max(self.wait_peak, other.wait_peak), self.wait_over_s + other.wait_over_s)


def _astuple(c: CounterTotals) -> tuple[float, ...]:
    return tuple(getattr(c, f) for f in CounterTotals.__dataclass_fields__)


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def migrate(sql: Database) -> int:
    """Bring the schema to SCHEMA_VERSION, one migration per transaction; return the version found."""
    with sql.reading() as db:
        found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise HistoryError(f"history database has schema version {found}, newer than this program's "
                           f"{SCHEMA_VERSION}: upgrade onestop-monitor or use another state directory")
    for version in range(found + 1, SCHEMA_VERSION + 1):
        with sql.transaction() as db:
            for stmt in MIGRATIONS[version - 1].split(";"):
                if stmt.strip():
                    db.execute(stmt)
            db.execute(f"PRAGMA user_version={version}")
    return found


_COUNTER_UPSERT = (
    "INSERT INTO counter_minutes (site, minute, counter, open_ds, known_ds, unknown_ds, staffed_ds, "
    "staffed_known_ds, serving_ds, waiting_unstaffed_ds, idle_staffed_ds, unstaffed_ds, other_ds) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, minute, counter) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in (
        "open_ds", "known_ds", "unknown_ds", "staffed_ds", "staffed_known_ds", "serving_ds",
        "waiting_unstaffed_ds", "idle_staffed_ds", "unstaffed_ds", "other_ds")))
_ZONE_UPSERT = (
    "INSERT INTO zone_minutes (site, minute, zone, open_ds, known_ds, people_ds, peak, over_ds, threshold, "
    "wait_known_ds, wait_ss, wait_peak, wait_over_ds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (site, minute, zone) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in (
        "open_ds", "known_ds", "people_ds", "over_ds", "wait_known_ds", "wait_ss", "wait_over_ds"))
    + ", peak = max(coalesce(peak, excluded.peak), coalesce(excluded.peak, peak)), "
      "wait_peak = max(coalesce(wait_peak, excluded.wait_peak), coalesce(excluded.wait_peak, wait_peak)), "
      "threshold = coalesce(excluded.threshold, threshold)")


class HistoryStore:
    """Read and write ``<state_dir>/history.db``; one instance per thread that uses it."""

    def __init__(self, state_dir: Path | str) -> None:
        """Open (or create) the database and migrate it to the current schema."""
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / HISTORY_DB
        try:
            self._sql = Database(self.path, synchronous="NORMAL", timeout=30.0)
            migrate(self._sql)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"cannot open history database {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the database."""
        self._sql.close()

    # -- writing ---------------------------------------------------------------------------------------------

    def write(self, batch: Batch) -> int:
        """Write a batch in one transaction (minutes written before are added to); return rows written."""
        if not len(batch):
            return 0
        counters = [(site, minute, cid, _ds(r.open_s), _ds(r.known_s), _ds(r.unknown_s), _ds(r.staffed_s),
                     _ds(r.staffed_known_s), *(_ds(r.states.get(s, 0.0)) for s in STATES),
                     _ds(sum(v for k, v in r.states.items() if k not in STATES)))
                    for (site, cid, minute), r in batch.counters.items()]
        zones = [(site, minute, zid, _ds(r.open_s), _ds(r.known_s), _ds(r.people_s), r.peak, _ds(r.over_s),
                  r.threshold, _ds(r.wait_known_s), int(round(r.wait_ss)), r.wait_peak, _ds(r.wait_over_s))
                 for (site, zid, minute), r in batch.zones.items()]
        info = {(site, zid): (r.camera, r.counter) for (site, zid, _), r in batch.zones.items()}
        with self._sql.transaction() as db:
            db.executemany(_COUNTER_UPSERT, counters)
            db.executemany(_ZONE_UPSERT, zones)
            db.executemany("INSERT INTO zones (site, zone, camera, counter) VALUES (?, ?, ?, ?) ON CONFLICT "
                           "(site, zone) DO UPDATE SET camera = excluded.camera, counter = excluded.counter",
                           [(s, z, cam, c) for (s, z), (cam, c) in info.items()])
            db.executemany("INSERT OR IGNORE INTO services (site, counter, ended_at, duration_s) "
                           "VALUES (?, ?, ?, ?)",
                           [(r.site, r.counter, r.ended_at, r.duration_s) for r in batch.services])
            db.executemany("INSERT OR IGNORE INTO alerts (key, site, rule, kind, at, subject) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           [(r.key, r.site, r.rule, r.kind, r.at, r.subject) for r in batch.alerts])
        return len(batch)

    def prune(self, before: float) -> int:
        """Delete rows older than the unix time ``before``; return how many."""
        minute = int(before // 60)
        deleted = 0
        for site in self.sites():
            with self._sql.transaction() as db:  # one site at a time: readers and the recorder are never held up long
                for table in ("counter_minutes", "zone_minutes"):
                    deleted += db.execute(f"DELETE FROM {table} WHERE site = ? AND minute < ?",
                                          (site, minute)).rowcount
                deleted += db.execute("DELETE FROM services WHERE site = ? AND ended_at < ?",
                                      (site, before)).rowcount
                deleted += db.execute("DELETE FROM alerts WHERE site = ? AND at < ?", (site, before)).rowcount
        return deleted

    # -- reading ---------------------------------------------------------------------------------------------

    def sites(self) -> list[str]:
        """Return every site id with counter or zone rows."""
        with self._sql.reading() as db:
            rows = db.execute("SELECT DISTINCT site FROM zones UNION SELECT site FROM (SELECT DISTINCT "
                              "site FROM counter_minutes)").fetchall()
        return sorted(r[0] for r in rows)

    def counter_totals(self, site: str, spans: Sequence[tuple[float, float]]) -> dict[str, CounterTotals]:
        """Return each counter's sums over the minutes that start inside the spans (unix [start, end))."""
        out: dict[str, CounterTotals] = {}
        cols = ("open_ds", "known_ds", "unknown_ds", "staffed_ds", "staffed_known_ds", "serving_ds",
                "waiting_unstaffed_ds", "idle_staffed_ds", "unstaffed_ds", "other_ds")
        sql = (f"SELECT counter, {', '.join(f'SUM({c})' for c in cols)} FROM counter_minutes "
               "WHERE site = ? AND minute >= ? AND minute < ? GROUP BY counter")
        with self._sql.reading() as db:
            for start, end in spans:
                for cid, *sums in db.execute(sql, (site, _minute_ceil(start), _minute_ceil(end))):
                    t = CounterTotals(*(v / 10.0 for v in sums))
                    out[cid] = out[cid] + t if cid in out else t
        return out

    def zone_totals(self, site: str, spans: Sequence[tuple[float, float]]) -> dict[str, ZoneTotals]:
        """Return each queue zone's sums over the minutes that start inside the spans."""
        out: dict[str, ZoneTotals] = {}
        sql = ("SELECT zone, SUM(open_ds), SUM(known_ds), SUM(people_ds), MAX(peak), SUM(over_ds), MAX(threshold), "
               "SUM(wait_known_ds), SUM(wait_ss), MAX(wait_peak), SUM(wait_over_ds) FROM zone_minutes "
               "WHERE site = ? AND minute >= ? AND minute < ? GROUP BY zone")
        with self._sql.reading() as db:
            for start, end in spans:
                for zid, o, k, p, peak, over, thr, wk, ws, wpeak, wover in db.execute(
                        sql, (site, _minute_ceil(start), _minute_ceil(end))):
                    t = ZoneTotals(o / 10, k / 10, p / 10, peak, over / 10, thr, wk / 10, float(ws), wpeak,
                                   wover / 10)
                    out[zid] = out[zid] + t if zid in out else t
        return out

    def zone_info(self, site: str) -> dict[str, tuple[str, str | None]]:
        """Return zone -> (camera, counter) of the site's queue zones as last recorded."""
        with self._sql.reading() as db:
            rows = db.execute("SELECT zone, camera, counter FROM zones WHERE site = ?", (site,)).fetchall()
        return {z: (cam, c) for z, cam, c in rows}

    def services(self, site: str, spans: Sequence[tuple[float, float]]) -> dict[str, list[float]]:
        """Return counter -> service durations (s) of the services that ended inside the spans."""
        out: dict[str, list[float]] = {}
        with self._sql.reading() as db:
            for start, end in spans:
                for cid, d in db.execute("SELECT counter, duration_s FROM services WHERE site = ? AND "
                                         "ended_at >= ? AND ended_at < ?", (site, start, end)):
                    out.setdefault(cid, []).append(float(d))
        return out

    def alerts(self, site: str, start: float, end: float) -> list[tuple[str, str, str]]:
        """Return (kind, rule, subject JSON) of the alerts that started firing in [start, end)."""
        with self._sql.reading() as db:
            return [tuple(r) for r in db.execute(
                "SELECT kind, rule, subject FROM alerts WHERE site = ? AND at >= ? AND at < ? ORDER BY at",
                (site, start, end))]

    def first_minute(self) -> int | None:
        """Return the earliest minute recorded, None when empty."""
        with self._sql.reading() as db:
            row = db.execute("SELECT MIN(minute) FROM counter_minutes").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def counts(self) -> dict[str, int]:
        """Return the number of rows per table (for logs, benchmarks and tests)."""
        with self._sql.reading() as db:
            return {t: int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                    for t in ("counter_minutes", "zone_minutes", "services", "alerts")}


def _minute_ceil(t: float) -> int:
    # A minute belongs to a span when it starts inside it; spans start and end on whole minutes in practice.
    return -int(-t // 60)

