"""The local store: one SQLite file, so cron on a laptop keeps history and alerts."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any

from ..decide.state import MonitorState, OutboxEntry, Stored
from ..models import CheckResult
from .store import (
    DuplicateCycle,
    History,
    StateConflict,
    StoreError,
    cycle_record,
    expires_at,
    read_outbox,
    read_state,
    readable_records,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cycles (
    checked_at TEXT PRIMARY KEY, verdict TEXT, severity TEXT, record TEXT, expires_at INTEGER);
CREATE TABLE IF NOT EXISTS canary_results (
    model TEXT, checked_at TEXT, outcome TEXT, http_status INTEGER, request_id TEXT,
    ttft_ms INTEGER, latency_ms INTEGER, expires_at INTEGER, PRIMARY KEY (model, checked_at));
CREATE TABLE IF NOT EXISTS transitions (
    checked_at TEXT, target TEXT, from_value TEXT, to_value TEXT, expires_at INTEGER,
    PRIMARY KEY (checked_at, target));
CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, entry TEXT NOT NULL);
"""


def open_db(path: str, schema: str) -> sqlite3.Connection:
    """The SQLite file at LOCAL_DB_PATH (its folder made), in autocommit mode, with
    `schema`'s tables; one line naming the path when it cannot be opened."""
    try:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        db = sqlite3.connect(path, timeout=5, isolation_level=None)
        db.executescript(schema)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open LOCAL_DB_PATH {path!r}: {exc}") from None
    return db


class SqliteStore:
    """The local store: one SQLite file, so cron on a laptop keeps history and alerts."""

    def __init__(self, path: str, retention_days: int = 90) -> None:
        self.path = path
        self.retention_days = retention_days
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_db(self.path, _SCHEMA)
        return self._db

    def load(self) -> Stored:
        try:
            db = self._conn()
            row = db.execute("SELECT version, state FROM state WHERE id = 1").fetchone()
            entries = db.execute("SELECT id, entry FROM outbox").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from None
        outbox = read_outbox({r[0]: r[1] for r in entries})
        if row is None:
            return Stored(MonitorState(), 0, outbox)
        return Stored(read_state(row[1]), row[0], outbox)

    def commit(
        self,
        result: CheckResult,
        state: MonitorState,
        expected_version: int,
        outbox: dict[str, OutboxEntry],
        backlog: list[CheckResult],
    ) -> int:
        db = self._conn()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for old in backlog:
                    self._write_result(db, old, replace=True)
                self._write_result(db, result, replace=False)
                self._write_state(db, state, expected_version, outbox)
                now = int(time.time())
                for table in ("cycles", "canary_results", "transitions"):
                    db.execute(f"DELETE FROM {table} WHERE expires_at < ?", (now,))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return len(backlog)
        except sqlite3.IntegrityError:
            raise DuplicateCycle(result.cycle_id) from None
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite write failed: {exc}") from None

    def _write_result(self, db: sqlite3.Connection, result: CheckResult, replace: bool) -> None:
        expiry = expires_at(result, self.retention_days)
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        db.execute(
            f"{verb} INTO cycles VALUES (?, ?, ?, ?, ?)",
            (
                result.cycle_id,
                result.verdict.verdict,
                result.verdict.severity,
                json.dumps(cycle_record(result)),
                expiry,
            ),
        )
        for c in result.canaries:
            db.execute(
                "INSERT OR REPLACE INTO canary_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.model,
                    result.cycle_id,
                    c.outcome,
                    c.http_status,
                    c.request_id,
                    c.ttft_ms,
                    c.latency_ms,
                    expiry,
                ),
            )
        for t in result.transitions:
            db.execute(
                "INSERT OR REPLACE INTO transitions VALUES (?, ?, ?, ?, ?)",
                (result.cycle_id, t.target, t.from_, t.to, expiry),
            )

    def _write_state(
        self,
        db: sqlite3.Connection,
        state: MonitorState,
        expected: int,
        outbox: dict[str, OutboxEntry],
    ) -> int:
        row = db.execute("SELECT version FROM state WHERE id = 1").fetchone()
        if (row[0] if row else 0) != expected:
            raise StateConflict(f"state version moved from {expected}")
        db.execute(
            "INSERT OR REPLACE INTO state (id, version, state) VALUES (1, ?, ?)",
            (expected + 1, state.to_json()),
        )
        db.execute("DELETE FROM outbox")
        db.executemany(
            "INSERT INTO outbox VALUES (?, ?)", [(k, e.to_json()) for k, e in outbox.items()]
        )
        return expected + 1

    def _transaction(self, *statements: tuple[str, tuple[Any, ...]]) -> list[int]:
        """Run the statements in one write transaction; their row counts. A failure
        rolls it back: left open, it would fail every later write of this connection
        (a warm Lambda container keeps it) with "transaction within a transaction"."""
        try:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                counts = [db.execute(sql, args).rowcount for sql, args in statements]
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return counts
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite write failed: {exc}") from None

    def write_backlog(self, backlog: list[CheckResult]) -> int:
        """The backlog in one transaction (commit writes it too; this is for a store
        that could not take it with the commit)."""
        db = self._conn()
        try:
            with db:
                for old in backlog:
                    self._write_result(db, old, replace=True)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite write failed: {exc}") from None
        return len(backlog)

    def clear_outbox(self, entry_id: str) -> None:
        # The version moves only when the entry was there (the same count as a DELETE).
        self._transaction(
            ("DELETE FROM outbox WHERE id = ?", (entry_id,)),
            ("UPDATE state SET version = version + changes() WHERE id = 1", ()),
        )

    def write_state(self, state: MonitorState, expected_version: int) -> None:
        try:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT version FROM state WHERE id = 1").fetchone()
                if (row[0] if row else 0) != expected_version:
                    raise StateConflict(f"state version moved from {expected_version}")
                db.execute(
                    "INSERT OR REPLACE INTO state (id, version, state) VALUES (1, ?, ?)",
                    (expected_version + 1, state.to_json()),
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite write failed: {exc}") from None

    def mark_outbox(self, entry: OutboxEntry) -> None:
        self._transaction(("UPDATE outbox SET entry = ? WHERE id = ?", (entry.to_json(), entry.id)))

    def history(self, since_iso: str) -> History:
        try:
            db = self._conn()
            cycles = db.execute(
                "SELECT record FROM cycles WHERE checked_at >= ? ORDER BY checked_at", (since_iso,)
            ).fetchall()
            transitions = db.execute(
                "SELECT checked_at, target, from_value, to_value FROM transitions "
                "WHERE checked_at >= ? ORDER BY checked_at, target",
                (since_iso,),
            ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from None
        return History(
            cycles=readable_records(r[0] for r in cycles),
            transitions=[
                {"checked_at": r[0], "target": r[1], "from": r[2], "to": r[3]} for r in transitions
            ],
        )
