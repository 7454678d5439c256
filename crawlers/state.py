"""Persistent crawl state (SQLite): what each source has seen, and how each run went.

It makes crawls incremental across processes: a page seen before is fetched again only
when it can have changed (a thread whose list entry shows more replies, a sitemap entry
with a newer lastmod, a board message still waiting for its official reply), and then
with its ETag / Last-Modified so that the site can answer 304. It also keeps the working
copy of the per-source crawl statistics, so that crawling never depends on Elasticsearch.

One connection per process; Scrapy calls it from the reactor thread only.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from yuqing.config import Config
from yuqing.records import SHANGHAI, Item, item_id_for

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    source_id TEXT NOT NULL,
    key TEXT NOT NULL,            -- item_id_for(the URL as discovered, before redirects)
    url TEXT NOT NULL,
    item_id TEXT,
    etag TEXT,
    last_modified TEXT,
    lastmod TEXT,                 -- the sitemap's <lastmod>, as given
    replies INTEGER,
    replied INTEGER,              -- board messages: 1 answered, 0 not yet, NULL n/a
    digest TEXT,                  -- of what we index, to tell "updated" from "unchanged"
    published_at TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,  -- consecutive failed fetches (404, robots, 5xx...)
    last_error TEXT,
    hints TEXT,                   -- JSON: what the list showed of a failed page (title, date)
    PRIMARY KEY (source_id, key)
);
CREATE INDEX IF NOT EXISTS pages_published ON pages (source_id, published_at);
CREATE TABLE IF NOT EXISTS runs (
    source_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    doc TEXT NOT NULL,            -- the run's statistics as JSON (see storage.crawlstats)
    synced INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, started_at)
);
-- Lists left behind: a run stopped paging with new entries still coming. One row per gap;
-- a list can have several (a burst on top of an older backlog).
CREATE TABLE IF NOT EXISTS list_gaps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL,
    list_url TEXT NOT NULL,       -- page 1 of the paginated list
    page_url TEXT NOT NULL,       -- where the next run resumes
    page INTEGER NOT NULL,        -- its page number when it was reached (for logs)
    markers TEXT NOT NULL,        -- JSON: the entries the gap follows; [] = unknown
    since TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,  -- runs in a row whose catch-up page failed
    start_url TEXT                -- the configured start URL the list was reached from
);
-- Threads read over several pages: what each page gave, so that a re-fetch of the pages
-- with new replies rebuilds the whole thread's text (one item per thread).
CREATE TABLE IF NOT EXISTS threads (
    source_id TEXT NOT NULL,
    key TEXT NOT NULL,            -- as pages.key
    doc TEXT NOT NULL,            -- JSON: url, title, published_at, per_page, pages {n: text}
    PRIMARY KEY (source_id, key)
);
CREATE TABLE IF NOT EXISTS sources (
    source_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL             -- the latest per-source statistics as JSON
);
"""

_ADDED_COLUMNS = [("pages", "hints", "TEXT"),
                  ("list_gaps", "failures", "INTEGER NOT NULL DEFAULT 0"),
                  ("list_gaps", "start_url", "TEXT")]


class Decision(StrEnum):
    new = "new"              # never seen: fetch
    changed = "changed"      # the list says it changed: fetch again (conditionally)
    recheck = "recheck"      # may have changed without the list saying so: fetch conditionally
    retry = "retry"          # failed before and its back-off has passed: try again
    unchanged = "unchanged"  # skip
    failing = "failing"      # failed before, back-off not over (or given up): skip


# A page that failed is tried again after 1 h, 4 h, 16 h, 64 h, then no more: a 404 or a
# robots.txt ban is usually permanent, and a polite crawler does not ask every run.
RETRY_AFTER = timedelta(hours=1)
MAX_FAILURES = 5
# A gap whose catch-up fails (its list page 5xx, times out) in this many runs in a row is
# given up; a list page that is gone (404, 410) gives it up at once.
MAX_RESUME_FAILURES = 3
# Why a fetched page could not be read: a site whose new pages all end so has changed its
# templates (or a selector is wrong), a crawl-health problem. A hidden thread is not one,
# nor an index page that link discovery reached (``not_article``: topic and channel pages
# sit among the articles of most news lists; they are backed off, not alerted on).
UNREADABLE = ("empty_text", "extract_error", "parse_error", "invalid_item")


# The runs that found new items, for the usual silence of a source (duty.silence): at most
# one an hour (a busy source finds something every run) and this many, two weeks of them.
FIND_HISTORY = 336
FIND_SPACING = timedelta(hours=1)


def add_find(history: list[str], at: str) -> list[str]:
    """The bounded find history with a run that found new items at ``at`` (ISO)."""
    if history and datetime.fromisoformat(at) - datetime.fromisoformat(history[-1]) < FIND_SPACING:
        return history  # the same burst: its first find stands for it
    return [*history, at][-FIND_HISTORY:]


def backoff(failures: int) -> timedelta:
    """How long a page that failed ``failures`` times in a row waits before its retry."""
    return RETRY_AFTER * 4 ** (failures - 1)


@dataclass(frozen=True)
class Seen:
    url: str
    item_id: str | None
    etag: str | None
    last_modified: str | None
    lastmod: str | None
    replies: int | None
    replied: bool | None
    digest: str | None
    first_seen: datetime
    last_seen: datetime
    failures: int

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Gap:
    """Entries of a list not fetched yet: those after ``markers`` (the entries of the last
    page a run reached), which newer posts push further down the list run by run."""

    id: int
    list_url: str
    page_url: str
    page: int
    markers: tuple[str, ...]
    since: datetime
    failures: int = 0
    start_url: str = ""  # the start URL its list descends from ("" = list_url)

    @property
    def origin(self) -> str:
        return self.start_url or self.list_url


def digest(item: Item) -> str:
    """What a re-fetch must differ in to count as an update (fetched_at excluded)."""
    parts = [item.title, item.text, item.reply_text or "", str(item.replied),
             item.metrics.model_dump_json(), item.published_at.isoformat()
             if item.published_at else ""]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


class CrawlState:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        # WAL: the scheduler and a manual `yuqing crawl` may share the file.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._add_columns()
        self._migrate_backlog()

    def _add_columns(self) -> None:
        """Columns added since a state file was created (CREATE TABLE IF NOT EXISTS keeps
        an old table as it is)."""
        for table, column, decl in _ADDED_COLUMNS:
            have = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

    def _migrate_backlog(self) -> None:
        """The former one-depth-per-list backlog: where its gap lies is unknown, so the
        catch-up walks the list from page 1 to its end once (visiting every entry)."""
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name='backlog'").fetchone():
            self.db.execute("INSERT INTO list_gaps (source_id, list_url, page_url, page, "
                            "markers, since) SELECT source_id, list_url, list_url, 1, '[]', "
                            "since FROM backlog")
            self.db.execute("DROP TABLE backlog")

    @classmethod
    def for_config(cls, cfg: Config) -> CrawlState:
        return cls(cfg.data_path("state", "crawl.sqlite"))

    def close(self) -> None:
        self.db.close()

    # -- pages -----------------------------------------------------------------------------
    def seen(self, source_id: str, url: str) -> Seen | None:
        row = self.db.execute(
            "SELECT url, item_id, etag, last_modified, lastmod, replies, replied, digest, "
            "first_seen, last_seen, failures FROM pages WHERE source_id=? AND key=?",
            (source_id, item_id_for(url))).fetchone()
        if row is None:
            return None
        return Seen(row[0], row[1], row[2], row[3], row[4], row[5],
                    None if row[6] is None else bool(row[6]), row[7],
                    datetime.fromisoformat(row[8]), datetime.fromisoformat(row[9]), row[10])

    def decide(self, source_id: str, url: str, now: datetime, *, replies: int | None = None,
               lastmod: str | None = None, replied: bool | None = None,
               recheck_unreplied_days: int = 60) -> tuple[Decision, Seen | None]:
        """Whether a discovered page needs fetching, from what its list entry shows."""
        seen = self.seen(source_id, url)
        if seen is None:
            return Decision.new, None
        if seen.item_id is None and seen.failures:
            if seen.failures >= MAX_FAILURES or now - seen.last_seen < backoff(seen.failures):
                return Decision.failing, seen
            return Decision.retry, seen
        if replies is not None and (seen.replies is None or replies > seen.replies):
            return Decision.changed, seen
        if lastmod and (seen.lastmod is None or _newer(lastmod, seen.lastmod)):
            return Decision.changed, seen
        if seen.replied is False:
            if replied:
                return Decision.changed, seen
            if now - seen.first_seen <= timedelta(days=recheck_unreplied_days):
                return Decision.recheck, seen
        return Decision.unchanged, seen

    def unreplied(self, source_id: str, since: datetime) -> list[str]:
        """Board messages still waiting for an answer, first seen after ``since``."""
        rows = self.db.execute(
            "SELECT url FROM pages WHERE source_id=? AND replied=0 AND first_seen>=? "
            "ORDER BY first_seen DESC", (source_id, since.isoformat()))
        return [r[0] for r in rows]

    def compare(self, source_id: str, url: str, item: Item) -> Decision:
        """What recording ``item`` would be: new, changed (content differs) or unchanged."""
        seen = self.seen(source_id, url)
        if seen is None or seen.item_id is None:
            return Decision.new
        return Decision.unchanged if seen.digest == digest(item) else Decision.changed

    def record(self, source_id: str, url: str, item: Item, now: datetime, *,
               etag: str | None = None, last_modified: str | None = None,
               lastmod: str | None = None, replies: int | None = None) -> Decision:
        """Remember a fetched item; returns new, changed (content differs) or unchanged."""
        new_digest = digest(item)
        seen = self.seen(source_id, url)
        if replies is None:
            replies = item.metrics.replies
        self.db.execute(
            "INSERT INTO pages (source_id, key, url, item_id, etag, last_modified, lastmod, "
            "replies, replied, digest, published_at, first_seen, last_seen) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (source_id, key) DO UPDATE SET "
            "item_id=excluded.item_id, etag=excluded.etag, "
            "last_modified=excluded.last_modified, lastmod=COALESCE(excluded.lastmod, lastmod), "
            "replies=excluded.replies, replied=excluded.replied, digest=excluded.digest, "
            "published_at=excluded.published_at, last_seen=excluded.last_seen, failures=0, "
            "last_error=NULL",
            (source_id, item_id_for(url), url, item.id, etag, last_modified, lastmod, replies,
             None if item.replied is None else int(item.replied), new_digest,
             item.published_at.isoformat() if item.published_at else None,
             now.isoformat(), now.isoformat()))
        if seen is None or seen.item_id is None:  # never indexed (or only ever failed)
            return Decision.new
        return Decision.unchanged if seen.digest == new_digest else Decision.changed

    def thread(self, source_id: str, url: str) -> dict[str, Any] | None:
        """What was indexed of a thread read over several pages (see ``record_thread``)."""
        row = self.db.execute("SELECT doc FROM threads WHERE source_id=? AND key=?",
                              (source_id, item_id_for(url))).fetchone()
        return json.loads(row[0]) if row else None

    def record_thread(self, source_id: str, url: str, doc: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO threads (source_id, key, doc) VALUES (?,?,?)",
                        (source_id, item_id_for(url), json.dumps(doc, ensure_ascii=False)))

    def prune_threads(self, before: datetime) -> int:
        """Forget the page texts of threads not seen since ``before`` (retention: the
        item they rebuild has left the index, their replies must not outlive it)."""
        cur = self.db.execute(
            "DELETE FROM threads WHERE NOT EXISTS (SELECT 1 FROM pages p WHERE "
            "p.source_id = threads.source_id AND p.key = threads.key "
            "AND julianday(p.last_seen) >= julianday(?))", (before.isoformat(),))
        return cur.rowcount

    def fail(self, source_id: str, url: str, reason: str, now: datetime,
             hints: dict[str, Any] | None = None) -> None:
        """A detail page we gave up on this run; a page already indexed keeps its item.
        ``hints`` (what its list entry showed: title, date) serve its retry, which may
        come straight from here when no list leads to the page any more."""
        self.db.execute(
            "INSERT INTO pages (source_id, key, url, first_seen, last_seen, failures, "
            "last_error, hints) VALUES (?,?,?,?,?,1,?,?) ON CONFLICT (source_id, key) DO "
            "UPDATE SET failures=failures+1, last_error=excluded.last_error, "
            "last_seen=excluded.last_seen, hints=COALESCE(excluded.hints, hints)",
            (source_id, item_id_for(url), url, now.isoformat(), now.isoformat(), reason,
             json.dumps(hints, ensure_ascii=False) if hints else None))

    def due_retries(self, source_id: str, now: datetime, limit: int
                    ) -> tuple[list[tuple[str, dict[str, Any]]], int]:
        """Failed pages (never indexed) whose back-off has passed, longest waiting first:
        up to ``limit`` of them with their hints, and how many are due in all."""
        rows = self.db.execute(
            "SELECT url, hints, failures, last_seen FROM pages WHERE source_id=? AND "
            "item_id IS NULL AND failures BETWEEN 1 AND ?", (source_id, MAX_FAILURES - 1))
        due = sorted((datetime.fromisoformat(r[3]), r[0], r[1]) for r in rows
                     if now - datetime.fromisoformat(r[3]) >= backoff(r[2]))
        return ([(url, json.loads(hints) if hints else {}) for _, url, hints in due[:limit]],
                len(due))

    def touch(self, source_id: str, url: str, now: datetime, *, replies: int | None = None,
              lastmod: str | None = None) -> None:
        """A conditional request answered 304: still there, nothing new. What the list
        showed is kept, or the page would look changed, and be asked for, on every run."""
        self.db.execute(
            "UPDATE pages SET last_seen=?, replies=COALESCE(?, replies), "
            "lastmod=COALESCE(?, lastmod) WHERE source_id=? AND key=?",
            (now.isoformat(), replies, lastmod, source_id, item_id_for(url)))

    def remember_lastmod(self, source_id: str, url: str, lastmod: str, now: datetime) -> None:
        """A child sitemap's lastmod, so that an unchanged one is not fetched again."""
        self.db.execute(
            "INSERT INTO pages (source_id, key, url, lastmod, first_seen, last_seen) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (source_id, key) DO UPDATE SET "
            "lastmod=excluded.lastmod, last_seen=excluded.last_seen",
            (source_id, item_id_for(url), url, lastmod, now.isoformat(), now.isoformat()))

    def forget_lastmod(self, source_id: str, url: str) -> None:
        """A child sitemap with entries still to fetch: fetch it again next run."""
        self.db.execute("UPDATE pages SET lastmod=NULL WHERE source_id=? AND key=?",
                        (source_id, item_id_for(url)))

    # -- lists not caught up ---------------------------------------------------------------
    def gaps(self, source_id: str) -> list[Gap]:
        """The source's lists left behind, oldest first."""
        rows = self.db.execute(
            "SELECT id, list_url, page_url, page, markers, since, failures, start_url "
            "FROM list_gaps WHERE source_id=? ORDER BY since, id", (source_id,))
        return [Gap(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])),
                    datetime.fromisoformat(r[5]), r[6], r[7] or "") for r in rows]

    def add_gap(self, source_id: str, list_url: str, page_url: str, page: int,
                markers: list[str], now: datetime, start_url: str | None = None) -> int:
        cur = self.db.execute(
            "INSERT INTO list_gaps (source_id, list_url, page_url, page, markers, since, "
            "start_url) VALUES (?,?,?,?,?,?,?)",
            (source_id, list_url, page_url, page, json.dumps(markers), now.isoformat(),
             start_url))
        return int(cur.lastrowid or 0)

    def move_gap(self, gap_id: int, page_url: str, page: int, markers: list[str]) -> None:
        """A catch-up stopped short: the next run resumes at ``page_url``."""
        self.db.execute("UPDATE list_gaps SET page_url=?, page=?, markers=?, failures=0 "
                        "WHERE id=?", (page_url, page, json.dumps(markers), gap_id))

    def gap_failed(self, gap_id: int) -> int:
        """A run's catch-up of the gap failed; how many runs in a row now."""
        self.db.execute("UPDATE list_gaps SET failures=failures+1 WHERE id=?", (gap_id,))
        row = self.db.execute("SELECT failures FROM list_gaps WHERE id=?", (gap_id,)).fetchone()
        return int(row[0]) if row else 0

    def close_gap(self, gap_id: int) -> None:
        self.db.execute("DELETE FROM list_gaps WHERE id=?", (gap_id,))

    def median_gap_minutes(self, source_id: str, recent: int = 50) -> float | None:
        """The usual gap between new items: median inter-arrival of published_at over the
        most recent items. A silent source is one whose current gap is far above this."""
        rows = self.db.execute(
            "SELECT DISTINCT published_at FROM pages WHERE source_id=? AND item_id IS NOT NULL "
            "AND published_at IS NOT NULL ORDER BY published_at DESC LIMIT ?",
            (source_id, recent)).fetchall()
        times = sorted(datetime.fromisoformat(r[0]) for r in rows)
        gaps = [(b - a).total_seconds() / 60 for a, b in zip(times, times[1:], strict=False)]
        return round(statistics.median(gaps), 1) if gaps else None

    def unreadable(self, source_id: str) -> tuple[int, str | None, dict[str, int]]:
        """Pages first seen since the last page read that could not be read (no text,
        extraction failed): how many, since when, and why."""
        rows = self.db.execute(
            "SELECT last_error, COUNT(*), MIN(first_seen) FROM pages WHERE source_id=? AND "
            f"item_id IS NULL AND last_error IN ({','.join('?' * len(UNREADABLE))}) AND "
            "first_seen > COALESCE((SELECT MAX(last_seen) FROM pages WHERE source_id=? AND "
            "item_id IS NOT NULL), '') GROUP BY last_error",
            (source_id, *UNREADABLE, source_id)).fetchall()
        errors = {r[0]: int(r[1]) for r in rows}
        return sum(errors.values()), min((r[2] for r in rows), default=None), errors

    def newest_published(self, source_id: str) -> datetime | None:
        row = self.db.execute("SELECT MAX(published_at) FROM pages WHERE source_id=? "
                              "AND item_id IS NOT NULL", (source_id,)).fetchone()
        return datetime.fromisoformat(row[0]).astimezone(SHANGHAI) if row and row[0] else None

    def items_known(self, source_id: str) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM pages WHERE source_id=? AND "
                                   "item_id IS NOT NULL", (source_id,)).fetchone()[0])

    # -- run statistics --------------------------------------------------------------------
    def add_run(self, run: dict[str, Any]) -> dict[str, Any]:
        """Store one run and fold it into the source's latest statistics (returned)."""
        sid = run["source_id"]
        self.db.execute("INSERT OR REPLACE INTO runs (source_id, started_at, doc, synced) "
                        "VALUES (?,?,?,0)", (sid, run["started_at"], json.dumps(run)))
        latest = self.source_stats(sid) or {"source_id": sid, "runs": 0}
        latest.update({
            "runs": latest.get("runs", 0) + 1,
            "last_run": run["finished_at"],
            "last_finish_reason": run["finish_reason"],
            "last_pages": run["pages"],
            "last_items_new": run["items_new"],
            "last_items_updated": run["items_updated"],
            "last_unchanged": run["unchanged"],
            "last_errors": run["errors"],
            "items_known": self.items_known(sid),
            "median_gap_minutes": self.median_gap_minutes(sid),
        })
        unreadable, since, errors = self.unreadable(sid)
        latest.update({"unreadable_pages": unreadable, "unreadable_since": since,
                       "unreadable_errors": errors})
        newest = self.newest_published(sid)
        latest["newest_published_at"] = newest.isoformat() if newest else None
        if run["success"]:
            latest["last_success"] = run["finished_at"]
        if run["items_new"]:
            # A document from before the history starts it with its last find.
            finds = latest.get("new_item_runs") or (
                [latest["last_new_items_at"]] if latest.get("last_new_items_at") else [])
            latest["new_item_runs"] = add_find(finds, run["finished_at"])
            latest["last_new_items_at"] = run["finished_at"]
        self.db.execute("INSERT OR REPLACE INTO sources (source_id, doc) VALUES (?,?)",
                        (sid, json.dumps(latest)))
        return latest

    def source_stats(self, source_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT doc FROM sources WHERE source_id=?",
                              (source_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def all_source_stats(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT doc FROM sources")]

    def unsynced_runs(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in
                self.db.execute("SELECT doc FROM runs WHERE synced=0 ORDER BY started_at")]

    def mark_synced(self, runs: list[dict[str, Any]]) -> None:
        self.db.executemany("UPDATE runs SET synced=1 WHERE source_id=? AND started_at=?",
                            [(r["source_id"], r["started_at"]) for r in runs])


def _newer(a: str, b: str) -> bool:
    """Sitemap lastmod values compare as datetimes when they parse, else as strings."""
    try:
        da, db = _parse_w3c(a), _parse_w3c(b)
    except ValueError:
        return a > b
    return da > db


def _parse_w3c(s: str) -> datetime:
    dt = datetime.fromisoformat(s.strip().replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)
