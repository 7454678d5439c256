"""Incremental event clustering: an item joins an existing event or starts a new one.

An item joins the event of its nearest near-duplicate (reposts, near-copies). Otherwise it
joins the best *same-issue* event: seen within the time window, sharing a township (or
both without one), and sharing enough keywords. Nothing is recomputed for earlier items.
Heat = number of items + engagement (log-damped replies, views and likes).

Several crawl processes cluster concurrently and see each other's items only seconds
later (``restore``), so two of them can each start an event for one story. When the item
that founded another process's event is a near-duplicate of an item in one of ours, the
two are one split event: every process merges them into the same survivor (the older
founder, then the smaller id) and reports the merge, so stored items can be relabelled.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from .dedup import NearDuplicates

# How many of the last items say where a stream stands when it runs backwards in time:
# enough that a crawl's backlog of old posts among new ones does not count as that.
RECENT = 1000


@dataclass
class EventState:
    id: str
    first_seen: datetime
    last_seen: datetime
    title: str
    # In joining order; a dict, so that "is it a member" is a look-up (see _join).
    item_ids: dict[str, None] = field(default_factory=dict)
    keywords: Counter[str] = field(default_factory=Counter)
    townships: set[str] = field(default_factory=set)
    engagement: float = 0.0
    negatives: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    founded: datetime | None = None  # when its founding item appeared, where known
    _top: list[str] | None = None

    def add_keywords(self, words: Iterable[str] | Counter[str]) -> None:
        self.keywords.update(words)
        self._top = None

    @property
    def heat(self) -> float:
        return round(len(self.item_ids) + self.engagement, 2)

    def top_keywords(self, k: int = 12) -> list[str]:
        if self._top is None:
            self._top = [w for w, _ in sorted(self.keywords.items(),
                                              key=lambda x: (-x[1], x[0]))[:12]]
        return self._top[:k]


def engagement(replies: float | None, views: float | None, likes: float | None) -> float:
    # Views are cheap, replies cost effort: weigh them accordingly, damped by log.
    return (math.log1p(replies or 0) + 0.25 * math.log1p(views or 0)
            + 0.5 * math.log1p(likes or 0))


def event_id_for(first_item_id: str) -> str:
    return "e" + hashlib.sha1(first_item_id.encode()).hexdigest()[:15]


@dataclass(frozen=True)
class Merge:
    """Event ``absorbed`` was found to be the same as ``survivor``; ``items`` are the
    (item id, time) pairs that moved, as this process knows them."""

    absorbed: str
    survivor: str
    items: tuple[tuple[str, datetime], ...]


class EventClusterer:
    def __init__(self, window: timedelta = timedelta(days=7), dup_threshold: float = 0.6,
                 min_shared_keywords: int = 2, min_overlap: float = 0.3,
                 place_words: frozenset[str] = frozenset()):
        self.window = window
        # Place names say *where*, not *what*: two complaints in one township share them
        # whatever they are about, so they never count as shared topic words.
        self.place_words = place_words
        self.min_shared = min_shared_keywords
        self.min_overlap = min_overlap
        self.dups = NearDuplicates(dup_threshold)
        self.events: dict[str, EventState] = {}
        self._event_of: dict[str, str] = {}
        self._seen_at: dict[str, datetime] = {}
        self._by_keyword: dict[str, set[str]] = {}
        self._last_expiry: datetime | None = None
        # (arrival number, time) of the last RECENT arrivals, times decreasing: the first is
        # the newest of them, where a stream that runs backwards stands.
        self._recent: deque[tuple[int, datetime]] = deque()
        self._arrivals = 0
        self._last_top: datetime | None = None
        self._merged: dict[str, str] = {}  # absorbed event id -> survivor
        self._merges: list[Merge] = []  # not yet taken by the caller

    def assign(self, item_id: str, title: str, when: datetime, sig: np.ndarray,
               keywords: list[str], townships: list[str], *, negative: bool = False,
               engagement_score: float = 0.0, category: str | None = None,
               clock: bool = True) -> str:
        """Put an item into an event and return the event id (idempotent per item id).

        ``clock=False``: ``when`` only stands in for a time not known (an undated line
        taken as now). It must not move the clock by which old items are forgotten: one
        undated line among 2019's posts would make everything before it a month old."""
        if item_id in self._event_of:
            return self._event_of[item_id]
        if clock:
            self._expire(when)
        event = self._match(when, sig, keywords, townships) or self.events.get(
            event_id_for(item_id))  # an item that founded a live event comes back to it
        if event is None:
            event = EventState(event_id_for(item_id), when, when, title)
            self.events[event.id] = event
        self._join(event, item_id, when, sig, keywords, townships, negative, engagement_score,
                   category)
        return event.id

    def _match(self, when: datetime, sig: np.ndarray, keywords: list[str],
               townships: list[str]) -> EventState | None:
        return self._dup_event(sig) or self._same_issue(when, keywords, townships)

    def _dup_event(self, sig: np.ndarray) -> EventState | None:
        dup, _ = self.dups.match(sig)
        return self.events.get(self._event_of[dup]) if dup else None

    def knows(self, item_id: str) -> bool:
        return item_id in self._event_of

    def resolve(self, event_id: str) -> str:
        """The event an event id now stands for (itself unless it was merged away)."""
        while event_id in self._merged:
            event_id = self._merged[event_id]
        return event_id

    def take_merges(self) -> list[Merge]:
        """Merges made since the last call, oldest first, for the caller to persist."""
        out, self._merges = self._merges, []
        return out

    def restore(self, item_id: str, event_id: str, title: str, when: datetime,
                sig: np.ndarray, keywords: list[str], townships: list[str], *,
                negative: bool = False, engagement_score: float = 0.0,
                category: str | None = None) -> None:
        """Put back an item whose event was decided in an earlier run (warm start), so a
        new item joins the event it belongs to instead of starting a duplicate."""
        if item_id in self._event_of:
            return
        stored_as, event_id = event_id, self.resolve(event_id)
        event = self.events.get(event_id)
        # Another process founded this event, so the founding item had no near-duplicate
        # there. If it has one in another of our events, it was not yet visible there:
        # one story, split by timing. (Only reposts count: a same-issue match depends on
        # the order items were seen in, which differs between processes and restarts.)
        split = (self._dup_event(sig) if event_id_for(item_id) == event_id else None)
        if event is None:
            event = EventState(event_id, when, when, title)
            self.events[event_id] = event
        self._join(event, item_id, when, sig, keywords, townships, negative, engagement_score,
                   category)
        if stored_as != event_id:  # written by a process that had not merged yet
            self._merges.append(Merge(stored_as, event_id, ((item_id, when),)))
        if split is not None and split.id != event.id:
            self._merge(event, split)

    def _merge(self, a: EventState, b: EventState) -> None:
        # Every process must pick the same survivor from what they all know.
        def key(ev: EventState) -> tuple[datetime, str]:
            return (ev.founded or ev.first_seen, ev.id)

        survivor, absorbed = (a, b) if key(a) <= key(b) else (b, a)
        # Items older than twice the window are forgotten here (see _expire): too old to
        # matter, and where they are stored is no longer known.
        moved = tuple((i, self._seen_at[i]) for i in absorbed.item_ids if i in self._seen_at)
        survivor.item_ids.update(absorbed.item_ids)
        survivor.first_seen = min(survivor.first_seen, absorbed.first_seen)
        survivor.last_seen = max(survivor.last_seen, absorbed.last_seen)
        survivor.add_keywords(absorbed.keywords)
        for kw in absorbed.keywords:
            ids = self._by_keyword.setdefault(kw, set())
            ids.discard(absorbed.id)
            ids.add(survivor.id)
        survivor.townships |= absorbed.townships
        survivor.engagement += absorbed.engagement
        survivor.negatives += absorbed.negatives
        survivor.categories.update(absorbed.categories)
        for item_id, _ in moved:
            self._event_of[item_id] = survivor.id
        del self.events[absorbed.id]
        self._merged[absorbed.id] = survivor.id
        self._merges.append(Merge(absorbed.id, survivor.id, moved))

    def _join(self, event: EventState, item_id: str, when: datetime, sig: np.ndarray,
              keywords: list[str], townships: list[str], negative: bool,
              engagement_score: float, category: str | None) -> None:
        # An item forgotten (see _expire) while its event lives on, and then seen again (a
        # thread fetched again for its new replies), is put back, not counted twice.
        if item_id not in event.item_ids:
            event.item_ids[item_id] = None
            event.add_keywords(keywords)
            for kw in keywords:
                self._by_keyword.setdefault(kw, set()).add(event.id)
            event.engagement += engagement_score
            event.negatives += int(negative)
            if category:
                event.categories[category] += 1
        if event_id_for(item_id) == event.id:
            event.founded = when
        event.first_seen = min(event.first_seen, when)
        event.last_seen = max(event.last_seen, when)
        event.townships.update(townships)
        self.dups.add(item_id, sig)
        self._event_of[item_id] = event.id
        self._seen_at[item_id] = when

    def record(self, event_id: str):  # -> yuqing.records.Event
        """The public record of one event, as stored and shown."""
        from yuqing.records import Event

        ev = self.events[event_id]
        category = ev.categories.most_common(1)[0][0] if ev.categories else None
        return Event(id=ev.id, title=ev.title, first_seen=ev.first_seen,
                     last_seen=ev.last_seen, item_ids=list(ev.item_ids), heat=ev.heat,
                     keywords=ev.top_keywords(8), places=sorted(ev.townships),
                     category=category,
                     negative_share=round(ev.negatives / max(1, len(ev.item_ids)), 3))

    def _same_issue(self, when: datetime, keywords: list[str],
                    townships: list[str]) -> EventState | None:
        kws = set(keywords) - self.place_words
        if len(kws) < self.min_shared:
            return None
        best, best_score = None, 0.0
        places = set(townships)
        candidates = set().union(*(self._by_keyword.get(k, set()) for k in kws))
        for eid in sorted(candidates):
            ev = self.events.get(eid)
            if ev is None:
                continue
            if when - ev.last_seen > self.window or ev.last_seen - when > self.window:
                continue
            if places != ev.townships and not (places & ev.townships):
                continue
            shared = len(kws & (set(ev.top_keywords()) - self.place_words))
            overlap = shared / min(len(kws), 12)
            # Without a place in common, topic words alone must carry the match: stricter.
            need_shared, need_overlap = ((self.min_shared, self.min_overlap) if places
                                         else (self.min_shared + 1, self.min_overlap + 0.2))
            if shared >= need_shared and overlap >= need_overlap and overlap > best_score:
                best, best_score = ev, overlap
        return best

    def _expire(self, now: datetime) -> None:
        """Forget items and events more than twice the window away from where the stream
        is: bounded memory on streams, whichever way they run."""
        self._arrived(now)
        top = self._recent[0][1]
        if self._last_top is None:
            self._last_top = top
        elif self._last_top - top >= timedelta(hours=1):
            # The stream runs backwards (an export newest first): what is newer than the
            # last arrivals by more than twice the window is of no more use. Without this
            # such a stream was never forgotten at all, and its memory grew without end.
            self._last_top = top
            cutoff = top + 2 * self.window
            self._forget(lambda t: t > cutoff, lambda e: e.first_seen > cutoff)
        if self._last_expiry and now - self._last_expiry < timedelta(hours=1):
            return
        self._last_expiry = now
        horizon = now - 2 * self.window
        self._forget(lambda t: t < horizon, lambda e: e.last_seen < horizon)

    def _arrived(self, when: datetime) -> None:
        """Keep the newest time of the last ``RECENT`` arrivals (a sliding maximum)."""
        self._arrivals += 1
        recent = self._recent
        while recent and recent[-1][1] <= when:
            recent.pop()
        recent.append((self._arrivals, when))
        if recent[0][0] <= self._arrivals - RECENT:
            recent.popleft()

    def _forget(self, item_gone: Callable[[datetime], bool],
                event_gone: Callable[[EventState], bool]) -> None:
        for key in [k for k, t in self._seen_at.items() if item_gone(t)]:
            self.dups.remove(key)
            del self._seen_at[key]
            self._event_of.pop(key, None)
        for eid in [e.id for e in self.events.values() if event_gone(e)]:
            for kw in self.events.pop(eid).keywords:
                self._by_keyword.get(kw, set()).discard(eid)
        live = set(self.events)
        self._merged = {a: s for a, s in self._merged.items() if self.resolve(a) in live}
