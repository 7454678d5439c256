"""Duty state kept in the outbox's SQLite file, next to the notifications it produces.

Escalation steps and heartbeat marks are written in the same transaction as the
notifications they cause, so after a crash either both exist or neither does: a restart
neither repeats an escalation nor skips one. Stable notification ids (hashes of what was
decided) make a replayed decision a no-op (``INSERT OR IGNORE``).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from alerts.outbox import Outbox
from yuqing.records import Alert

SCHEMA = """
CREATE TABLE IF NOT EXISTS escalations (
    alert_id TEXT PRIMARY KEY,
    step INTEGER NOT NULL,
    last_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS duty_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def open_outbox(cfg) -> Outbox:
    from alerts.dispatch import outbox_path

    ob = Outbox(outbox_path(cfg))
    ob.db.executescript(SCHEMA)
    return ob


def get(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM duty_state WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def put(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT INTO duty_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
               "UPDATE SET value=excluded.value", (key, value))


def get_time(db: sqlite3.Connection, key: str) -> datetime | None:
    v = get(db, key)
    return datetime.fromisoformat(v) if v else None


def add_message(db: sqlite3.Connection, nid: str, receiver: str, kind: str, title: str,
                body: str, now: datetime, alerts: list[Alert] | None = None,
                group_key: str = "") -> bool:
    """Queue one notification inside the caller's transaction; False if it already exists."""
    alerts = alerts or []
    cur = db.execute(
        "INSERT OR IGNORE INTO notifications (id, receiver, group_key, kind, alert_ids, "
        "alerts, title, body, created_at, status, next_attempt_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,'pending',?,?)",
        (nid, receiver, group_key or kind, kind, json.dumps([a.id for a in alerts]),
         json.dumps([a.to_json_dict() for a in alerts], ensure_ascii=False), title, body,
         now.timestamp(), now.timestamp(), now.timestamp()))
    return cur.rowcount > 0


def first_notified(db: sqlite3.Connection, alert_id: str) -> datetime | None:
    """When the alert was first put in a notification that was not dropped before going
    out (a silence, an acknowledgement), not counting escalations."""
    row = db.execute("SELECT MIN(created_at) FROM notifications WHERE alert_ids LIKE ? "
                     "AND kind IN ('first', 'update', 'repeat') AND status != 'cancelled'",
                     (f'%"{alert_id}"%',)).fetchone()
    return datetime.fromtimestamp(row[0], UTC) if row and row[0] is not None else None
