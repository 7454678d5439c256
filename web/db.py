"""The console's own state in one SQLite file (``<data_dir>/state/console.sqlite``): users,
sessions, API tokens, failed logins and the audit trail.

SQLite rather than Elasticsearch because logins and the audit trail must work, and stay
consistent, even while the cluster is down or being reindexed.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yuqing.records import SHANGHAI

ROLES = ("viewer", "officer", "admin")
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong
# password and timing does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, label TEXT, created_at TEXT NOT NULL);
DROP TABLE IF EXISTS login_failures;
CREATE TABLE IF NOT EXISTS failed_logins (
  name TEXT NOT NULL, ip TEXT NOT NULL, device TEXT, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS failed_logins_name ON failed_logins(name, at);
CREATE INDEX IF NOT EXISTS failed_logins_ip ON failed_logins(ip, at);
CREATE INDEX IF NOT EXISTS failed_logins_device ON failed_logins(device, at);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL,
  role TEXT NOT NULL, ip TEXT, action TEXT NOT NULL, target TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS audit_action ON audit(action, at);
"""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _sha(text: str) -> str:
    # Session ids and API tokens are stored hashed: a copied database file cannot log in.
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


class ConsoleDB:
    def __init__(self, path: Path, configured: dict[str, tuple[str, str]] | None = None):
        """``configured``: users from the YAML file, name -> (role, argon2 hash); they take
        precedence over users added with ``yuqing users add``."""
        self.path = path
        self.configured = configured or {}
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # ---- users --------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, now: datetime) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise ValueError("password must have at least 8 characters")
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)",
                      (name, role, hash_password(password), now.isoformat()))
            # A new password is how a leaked one is revoked: whoever logged in with the
            # old one must not stay logged in for the rest of the session.
            c.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def remove_user(self, name: str) -> bool:
        with self._tx() as c:
            n = c.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount
            c.execute("DELETE FROM sessions WHERE name = ?", (name,))
            c.execute("DELETE FROM tokens WHERE name = ?", (name,))
        return n > 0

    def users(self) -> list[User]:
        rows = {n: r for n, r in self._query("SELECT name, role FROM users")}
        rows.update({n: r for n, (r, _) in self.configured.items()})
        return [User(n, r) for n, r in sorted(rows.items())]

    def _user_record(self, name: str) -> tuple[str, str] | None:
        if name in self.configured:
            return self.configured[name]
        rows = self._query("SELECT role, password_hash FROM users WHERE name = ?", (name,))
        return (rows[0][0], rows[0][1]) if rows else None

    def user(self, name: str) -> User | None:
        rec = self._user_record(name)
        return User(name, rec[0]) if rec else None

    def verify(self, name: str, password: str) -> User | None:
        rec = self._user_record(name)
        try:
            _HASHER.verify(rec[1] if rec else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(name, rec[0]) if rec else None

    # ---- failed logins ------------------------------------------------------------------

    def reserve_attempt(self, name: str, ip: str, device: str | None, since: datetime, *,
                        per_user: int, per_address: int, now: datetime) -> str | None:
        """Count this attempt as a failure up front unless a limit is already reached
        since ``since``; then say which: ``device`` (this device cookie, ``per_user``
        failures), ``user`` (the name, from browsers without its device cookie,
        ``per_user``) or ``address`` (the address, over all names, from such browsers,
        ``per_address``). A browser with the name's device cookie (``device``) is counted
        only per cookie: guessing elsewhere cannot keep it out. Checking and counting in
        one transaction: attempts sent together cannot all read the counts before any is
        written. A successful login clears its own count."""
        t = since.isoformat()
        with self._tx() as c:
            if device is not None:
                checks = [("device", "device = ?", device, per_user)]
            else:
                checks = [("user", "name = ? AND device IS NULL", name, per_user),
                          ("address", "ip = ? AND device IS NULL", ip, per_address)]
            for scope, where, key, limit in checks:
                n = c.execute(f"SELECT COUNT(*) FROM failed_logins WHERE {where} AND at >= ?",
                              (key, t)).fetchone()[0]
                if n >= limit:
                    return scope
            c.execute("INSERT INTO failed_logins VALUES (?, ?, ?, ?)",
                      (name, ip, device, now.isoformat()))
            c.execute("DELETE FROM failed_logins WHERE at < ?", (t,))
        return None

    def clear_failures(self, name: str, ip: str, device: str | None) -> None:
        with self._tx() as c:
            if device is not None:
                c.execute("DELETE FROM failed_logins WHERE device = ?", (device,))
            else:
                c.execute("DELETE FROM failed_logins WHERE name = ? AND ip = ? "
                          "AND device IS NULL", (name, ip))

    # ---- sessions and tokens ------------------------------------------------------------

    def new_session(self, user: User, now: datetime, hours: float) -> tuple[str, str]:
        """A new session: (cookie value, CSRF token)."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._tx() as c:
            c.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
            c.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                      (_sha(sid), user.name, csrf, now.isoformat(),
                       (now + timedelta(hours=hours)).isoformat()))
        return sid, csrf

    def session(self, sid: str, now: datetime) -> Session | None:
        rows = self._query("SELECT name, csrf, expires_at FROM sessions WHERE id_hash = ?",
                           (_sha(sid),))
        if not rows or rows[0][2] < now.isoformat():
            return None
        user = self.user(rows[0][0])  # a removed user's sessions die with them
        return Session(user, rows[0][1]) if user else None

    def end_session(self, sid: str) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM sessions WHERE id_hash = ?", (_sha(sid),))

    def new_token(self, name: str, label: str, now: datetime) -> str:
        if self.user(name) is None:
            raise KeyError(name)
        token = "yq_" + secrets.token_urlsafe(32)
        with self._tx() as c:
            c.execute("INSERT INTO tokens VALUES (?, ?, ?, ?)",
                      (_sha(token), name, label, now.isoformat()))
        return token

    def token_user(self, token: str) -> User | None:
        rows = self._query("SELECT name FROM tokens WHERE token_hash = ?", (_sha(token),))
        return self.user(rows[0][0]) if rows else None

    # ---- audit trail --------------------------------------------------------------------

    def audit(self, user: User, ip: str | None, action: str, target: str | None,
              detail: str | None, now: datetime) -> None:
        with self._tx() as c:
            c.execute("INSERT INTO audit (at, user, role, ip, action, target, detail) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (now.isoformat(), user.name, user.role, ip, action, target, detail))

    def audit_once(self, user: User, ip: str | None, action: str, target: str | None,
                   detail: str, now: datetime, since: datetime) -> bool:
        """``audit`` unless the same entry was written since ``since``: a client hammering
        a limit leaves one line per window, not one per request."""
        with self._tx() as c:
            seen = c.execute("SELECT 1 FROM audit WHERE action = ? AND user = ? "
                             "AND IFNULL(ip, '') = ? AND IFNULL(target, '') = ? "
                             "AND detail = ? AND at >= ? LIMIT 1",
                             (action, user.name, ip or "", target or "", detail,
                              since.isoformat())).fetchone()
            if seen:
                return False
            c.execute("INSERT INTO audit (at, user, role, ip, action, target, detail) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (now.isoformat(), user.name, user.role, ip, action, target, detail))
        return True

    def audit_log(self, limit: int = 200, target: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, at, user, role, ip, action, target, detail FROM audit"
        args: tuple[Any, ...] = ()
        if target:
            sql += " WHERE target = ?"
            args = (target,)
        rows = self._query(sql + " ORDER BY id DESC LIMIT ?", (*args, limit))
        keys = ("id", "at", "user", "role", "ip", "action", "target", "detail")
        return [dict(zip(keys, r, strict=True)) for r in rows]


def now() -> datetime:
    return datetime.now(SHANGHAI)
