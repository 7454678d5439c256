"""The durable outbox: SQLite, independent of Elasticsearch.

One row per notification id (the primary key), so planning the same notification twice
inserts it once. The routing group state lives in the same file and is written in the
same transaction as the notifications it produced: after a crash either both or neither
exist, so a restart neither loses nor repeats a decision.

Status: ``pending`` (waiting for its next attempt) → ``sending`` (an attempt is in
flight) → ``sent``; or ``failed_over`` once handed to the receiver's fallback receiver;
or ``cancelled`` when a pending message became pointless before it went out (an
escalation or alert notification whose alert was acknowledged, handled or silenced
meanwhile, see ``alerts.recheck``); ``last_error`` then says why.
A row found in ``sending`` at start-up was interrupted mid-attempt (see ``recover``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from yuqing.records import Alert

from .routing import LEGACY_PREFIX, GroupState, Plan, StateKey

# PRAGMA user_version: 1 = group keys are escaped (alerts.routing.group_key).
GROUP_KEYS_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id TEXT PRIMARY KEY,
    receiver TEXT NOT NULL,
    group_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    alert_ids TEXT NOT NULL,
    alerts TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed_over',
                                           'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    channels_done TEXT NOT NULL DEFAULT '[]',
    maybe_duplicate INTEGER NOT NULL DEFAULT 0,
    fallback_of TEXT,
    fallback_to TEXT,
    sent_at REAL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS groups (
    receiver TEXT NOT NULL,
    group_key TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_sent_at REAL,
    last_alert_ids TEXT NOT NULL,
    sends INTEGER NOT NULL,
    PRIMARY KEY (receiver, group_key)
);
"""


def _ts(t: datetime) -> float:
    return t.timestamp()


def _dt(x: float | None) -> datetime | None:
    return None if x is None else datetime.fromtimestamp(x, UTC)


@dataclass(frozen=True)
class OutboxRow:
    id: str
    receiver: str
    group_key: str
    kind: str
    alert_ids: list[str]
    alerts: list[Alert]
    title: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    channels_done: list[int]
    maybe_duplicate: bool
    fallback_of: str | None
    fallback_to: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_sql(cls, r: sqlite3.Row) -> OutboxRow:
        return cls(
            id=r["id"], receiver=r["receiver"], group_key=r["group_key"], kind=r["kind"],
            alert_ids=json.loads(r["alert_ids"]),
            alerts=[Alert.model_validate(a) for a in json.loads(r["alerts"])],
            title=r["title"], body=r["body"], status=r["status"], attempts=r["attempts"],
            next_attempt_at=_dt(r["next_attempt_at"]),  # type: ignore[arg-type]
            last_error=r["last_error"], channels_done=json.loads(r["channels_done"]),
            maybe_duplicate=bool(r["maybe_duplicate"]), fallback_of=r["fallback_of"],
            fallback_to=r["fallback_to"], created_at=_dt(r["created_at"]),  # type: ignore[arg-type]
            sent_at=_dt(r["sent_at"]),
        )


class Outbox:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode; transactions are explicit (BEGIN IMMEDIATE) where several
        # statements must land together.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        # FULL: a row marked sent survives a power cut, so it is not sent again.
        self.db.execute("PRAGMA synchronous=FULL")
        self._migrate()
        self.db.executescript(SCHEMA)
        self._mark_legacy_group_keys()

    def _migrate(self) -> None:
        """Outboxes made before ``cancelled`` existed: SQLite cannot alter a CHECK
        constraint, so the table is rebuilt (rows kept) in one transaction."""
        row = self.db.execute("SELECT sql FROM sqlite_master WHERE type='table' "
                              "AND name='notifications'").fetchone()
        if row is None or "'cancelled'" in row[0]:
            return
        with self.transaction() as db:
            db.execute("ALTER TABLE notifications RENAME TO notifications_v1")
            db.execute("DROP INDEX IF EXISTS notifications_due")
            for stmt in SCHEMA.split(";"):
                if "notifications (" in stmt:
                    db.execute(stmt)
            db.execute("INSERT INTO notifications SELECT * FROM notifications_v1")
            db.execute("DROP TABLE notifications_v1")

    def _mark_legacy_group_keys(self) -> None:
        """Group state from before group keys were escaped (user_version 0) is renamed to
        ``legacy:<key>``: routing finds a group's old state by its old key once, carries it
        over to the new key (so nothing is sent as "first" again), and no new key can ever
        meet an old, ambiguous one. Pending notifications are untouched: they go out by id."""
        with self.transaction() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] >= GROUP_KEYS_VERSION:
                return
            db.execute("UPDATE groups SET group_key = ? || group_key WHERE "
                       "substr(group_key, 1, ?) != ?",
                       (LEGACY_PREFIX, len(LEGACY_PREFIX), LEGACY_PREFIX))
            db.execute(f"PRAGMA user_version = {GROUP_KEYS_VERSION}")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- routing state -----------------------------------------------------------------
    def group_state(self) -> dict[StateKey, GroupState]:
        out = {}
        for r in self.db.execute("SELECT * FROM groups"):
            out[(r["receiver"], r["group_key"])] = GroupState(
                receiver=r["receiver"], group_key=r["group_key"],
                created_at=_dt(r["created_at"]),  # type: ignore[arg-type]
                last_sent_at=_dt(r["last_sent_at"]),
                last_alert_ids=tuple(json.loads(r["last_alert_ids"])), sends=r["sends"])
        return out

    def commit_plan(self, plan: Plan, now: datetime) -> int:
        """Store the plan's notifications and its group state atomically; returns how many
        notifications were new (an id already present is a decision already taken)."""
        added = 0
        with self.transaction() as db:
            for p in plan.notifications:
                n = p.notification
                cur = db.execute(
                    "INSERT OR IGNORE INTO notifications (id, receiver, group_key, kind, "
                    "alert_ids, alerts, title, body, created_at, status, next_attempt_at, "
                    "updated_at) VALUES (?,?,?,?,?,?,?,?,?,'pending',?,?)",
                    (n.id, n.receiver, p.group_key, p.kind, json.dumps(n.alert_ids),
                     json.dumps([a.to_json_dict() for a in p.alerts], ensure_ascii=False),
                     n.title, n.body, _ts(n.created_at), _ts(now), _ts(now)))
                added += cur.rowcount
            db.execute("DELETE FROM groups")
            db.executemany(
                "INSERT INTO groups VALUES (?,?,?,?,?,?)",
                [(s.receiver, s.group_key, _ts(s.created_at),
                  _ts(s.last_sent_at) if s.last_sent_at else None,
                  json.dumps(list(s.last_alert_ids)), s.sends) for s in plan.state.values()])
        return added

    # -- delivery bookkeeping ----------------------------------------------------------
    def recover(self, now: datetime) -> list[str]:
        """Rows left in ``sending`` by a crash: back to pending, flagged as maybe delivered."""
        with self.transaction() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM notifications "
                                            "WHERE status='sending'")]
            db.execute("UPDATE notifications SET status='pending', maybe_duplicate=1, "
                       "next_attempt_at=?, updated_at=? WHERE status='sending'",
                       (_ts(now), _ts(now)))
        return ids

    def due(self, now: datetime, limit: int = 100) -> list[OutboxRow]:
        rows = self.db.execute(
            "SELECT * FROM notifications WHERE status='pending' AND next_attempt_at<=? "
            "ORDER BY next_attempt_at, created_at LIMIT ?", (_ts(now), limit))
        return [OutboxRow.from_sql(r) for r in rows]

    def mark_sending(self, nid: str, now: datetime) -> None:
        self.db.execute("UPDATE notifications SET status='sending', attempts=attempts+1, "
                        "updated_at=? WHERE id=?", (_ts(now), nid))

    def mark_channel_done(self, nid: str, done: list[int], now: datetime) -> None:
        self.db.execute("UPDATE notifications SET channels_done=?, updated_at=? WHERE id=?",
                        (json.dumps(done), _ts(now), nid))

    def mark_sent(self, nid: str, now: datetime, note: str | None = None) -> None:
        self.db.execute("UPDATE notifications SET status='sent', sent_at=?, last_error=?, "
                        "updated_at=? WHERE id=?", (_ts(now), note, _ts(now), nid))

    def mark_retry(self, nid: str, error: str, next_at: datetime, now: datetime) -> None:
        self.db.execute("UPDATE notifications SET status='pending', last_error=?, "
                        "next_attempt_at=?, updated_at=? WHERE id=?",
                        (error, _ts(next_at), _ts(now), nid))

    def cancel_pending(self, group_key: str, reason: str, now: datetime) -> list[str]:
        """Cancel the group's notifications that have not gone out (``pending``); one in
        flight (``sending``) is left to finish. Returns the cancelled ids."""
        with self.transaction() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM notifications WHERE "
                                            "group_key=? AND status='pending'", (group_key,))]
            db.execute("UPDATE notifications SET status='cancelled', last_error=?, "
                       "updated_at=? WHERE group_key=? AND status='pending'",
                       (reason, _ts(now), group_key))
        return ids

    def cancel(self, nid: str, reason: str, now: datetime) -> bool:
        """Cancel one notification if it is still ``pending``; False when it is not."""
        cur = self.db.execute("UPDATE notifications SET status='cancelled', last_error=?, "
                              "updated_at=? WHERE id=? AND status='pending'",
                              (reason, _ts(now), nid))
        return cur.rowcount > 0

    def retain_alerts(self, nid: str, alerts: list[Alert], title: str, body: str,
                      now: datetime) -> bool:
        """Narrow a ``pending`` notification to ``alerts`` (the others were dropped);
        False when it is no longer pending."""
        cur = self.db.execute(
            "UPDATE notifications SET alert_ids=?, alerts=?, title=?, body=?, updated_at=? "
            "WHERE id=? AND status='pending'",
            (json.dumps([a.id for a in alerts]),
             json.dumps([a.to_json_dict() for a in alerts], ensure_ascii=False), title, body,
             _ts(now), nid))
        return cur.rowcount > 0

    def pending_groups(self, prefix: str) -> list[str]:
        """Group keys starting with ``prefix`` that still have a pending notification."""
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT group_key FROM notifications WHERE status='pending' AND "
            "substr(group_key, 1, ?) = ?", (len(prefix), prefix))]

    def fail_over(self, row: OutboxRow, fallback: str, new_id: str, error: str,
                  now: datetime) -> None:
        """Hand a notification to the fallback receiver: both rows change in one commit."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO notifications (id, receiver, group_key, kind, "
                "alert_ids, alerts, title, body, created_at, status, next_attempt_at, "
                "fallback_of, updated_at) VALUES (?,?,?,?,?,?,?,?,?,'pending',?,?,?)",
                (new_id, fallback, row.group_key, row.kind, json.dumps(row.alert_ids),
                 json.dumps([a.to_json_dict() for a in row.alerts], ensure_ascii=False),
                 row.title, row.body, _ts(now), _ts(now), row.id, _ts(now)))
            db.execute("UPDATE notifications SET status='failed_over', fallback_to=?, "
                       "last_error=?, updated_at=? WHERE id=?",
                       (fallback, error, _ts(now), row.id))

    # -- inspection --------------------------------------------------------------------
    def get(self, nid: str) -> OutboxRow | None:
        r = self.db.execute("SELECT * FROM notifications WHERE id=?", (nid,)).fetchone()
        return OutboxRow.from_sql(r) if r else None

    def rows(self, status: str | None = None, last: int | None = None) -> list[OutboxRow]:
        """Notifications (of ``status``) oldest first; ``last``: only the newest that many."""
        sql, args = "SELECT * FROM notifications", ()
        if status:
            sql, args = sql + " WHERE status=?", (status,)  # type: ignore[assignment]
        if last is None:
            return [OutboxRow.from_sql(r)
                    for r in self.db.execute(sql + " ORDER BY created_at", args)]
        newest = self.db.execute(sql + " ORDER BY created_at DESC LIMIT ?", (*args, last))
        return [OutboxRow.from_sql(r) for r in newest][::-1]

    def undelivered(self, created_before: datetime) -> list[OutboxRow]:
        """Notifications created by ``created_before`` that failed at least once and have
        not gone out yet, oldest first (rows still waiting for their first attempt are
        not failures)."""
        rows = self.db.execute("SELECT * FROM notifications WHERE status IN "
                               "('pending', 'sending') AND attempts > 0 AND created_at <= ? "
                               "ORDER BY created_at", (_ts(created_before),))
        return [OutboxRow.from_sql(r) for r in rows]

    def counts(self) -> dict[str, Any]:
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT status, COUNT(*) FROM notifications GROUP BY status")}
