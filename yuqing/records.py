"""The typed records that cross package boundaries.

One crawled ``Item`` flows through analysis (``Analysis``) into storage; detection groups
items into ``Event``s and raises ``Alert``s; delivery produces ``Notification``s.
All times are timezone-aware; ``published_at`` is normalised to Asia/Shanghai.

Privacy: there is deliberately no author-id field anywhere. ``author`` on an item is the
public byline of a news article (kept for citation), never indexed as a keyword and never
linked across sources.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

SHANGHAI = ZoneInfo("Asia/Shanghai")

# How a recurrence's title begins (an alert about an issue back after it was handled);
# a message folds it into its own 【…】 lead rather than showing two.
RECURRENCE_PREFIX = "【处置后复发】"


def figure(x: float) -> str:
    """A count, baseline or ratio as people read it, the same wherever it is shown (an
    alert's explanation, its message, the console): baselines are often a fraction of one
    item, so a small number keeps two significant digits (0.05, not 0.1 or 0.0); from 1
    up one decimal; no trailing zeros (2, not 2.0)."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    digits = 1 if abs(x) >= 1 else 1 - math.floor(math.log10(abs(x)))
    text = f"{x:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

# Query parameters that only track the visitor; they never change which page is served.
_TRACKING_PARAMS = frozenset(
    {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "spm", "from",
     "fromuid", "share_token", "timestamp", "_t"}
)


# Of those, the ones that name a person: Discuz's share link carries the sharer's user id
# (``fromuid``), share tokens are tied to an account. Kept in a stored or requested URL,
# they would index a user id beside every item reached through such a link.
_PERSONAL_PARAMS = frozenset({"fromuid", "share_token"})


def without_personal_params(url: str) -> str:
    """``url`` without the query parameters that identify a person, otherwise as given."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parts.query.split("&")
    kept = [p for p in pairs if unquote_plus(p.split("=", 1)[0]).lower() not in _PERSONAL_PARAMS]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query="&".join(kept)))


def canonical_url(url: str) -> str:
    """Normalise a URL so that the same page always maps to the same id.

    Lower-cases scheme and host, drops the fragment, default ports and tracking
    parameters, and sorts the remaining query parameters.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def item_id_for(url: str) -> str:
    """Item id = SHA-1 of the canonical URL (stable across crawls and restarts)."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()


class SourceKind(StrEnum):
    news = "news"
    forum = "forum"
    board = "board"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def in_shanghai(t: datetime) -> datetime:
    """``t`` in Asia/Shanghai: a time without an offset is taken as Beijing time (as
    officers and exports write it), one with an offset is converted."""
    return t.astimezone(SHANGHAI) if t.tzinfo else t.replace(tzinfo=SHANGHAI)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(SHANGHAI)


class Metrics(_Record):
    """Engagement counters of a forum thread or board message, when the page shows them."""

    replies: int | None = None
    views: int | None = None
    likes: int | None = None


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str) -> str:
    """``text`` without the C0 control characters XML refuses (tab and line breaks stay)."""
    return _CONTROLS.sub("", text)


class Item(_Record):
    """One crawled page (article, thread, message) after extraction, before analysis."""

    id: str
    url: str
    source_id: str
    source_kind: SourceKind
    title: str
    text: str
    published_at: datetime | None = None
    fetched_at: datetime
    author: str | None = None
    region: str | None = None
    metrics: Metrics = Field(default_factory=Metrics)
    # Government message boards: whether and how officials answered.
    replied: bool | None = None
    reply_text: str | None = None
    replied_at: datetime | None = None

    _tz = field_validator("published_at", "fetched_at", "replied_at")(_aware)

    @field_validator("title", "text", "reply_text")
    @classmethod
    def _printable(cls, v: str | None) -> str | None:
        # Pages carry stray control characters (a backspace in a title): invisible, but
        # they make XML (the .docx report) refuse the whole document.
        return strip_controls(v) if v else v

    @classmethod
    def from_url(cls, url: str, **fields: Any) -> Item:
        return cls(id=item_id_for(url), url=without_personal_params(url), **fields)


class SentimentLabel(StrEnum):
    negative = "negative"
    neutral = "neutral"
    positive = "positive"


class Analysis(_Record):
    """What analysis/ computed for one item. ``sentiment`` is P(positive) in [0, 1]."""

    tokens: list[str]
    keywords: list[str]
    sentiment: float
    sentiment_label: SentimentLabel
    complaint: bool = False
    complaint_score: float = 0.0
    category: str | None = None
    places: list[str] = Field(default_factory=list)
    townships: list[str] = Field(default_factory=list)
    simhash: str | None = None
    event_id: str | None = None


class AnalyzedItem(_Record):
    item: Item
    analysis: Analysis


class Event(_Record):
    """A cluster of near-duplicate or same-issue items."""

    id: str
    title: str
    first_seen: datetime
    last_seen: datetime
    item_ids: list[str]
    heat: float
    keywords: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    category: str | None = None
    negative_share: float = 0.0


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class AlertStatus(StrEnum):
    firing = "firing"
    resolved = "resolved"


class AlertItem(_Record):
    """One piece of evidence quoted in an alert message: a title and its link."""

    title: str
    url: str
    published_at: datetime | None = None
    source_id: str | None = None


class Alert(_Record):
    """Something a person must look at, with the evidence that made it fire."""

    id: str
    rule: str
    severity: Severity
    title: str
    summary: str
    fired_at: datetime
    labels: dict[str, str] = Field(default_factory=dict)
    item_ids: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    category: str | None = None
    count: int = 0
    baseline: float = 0.0
    score: float = 0.0
    status: AlertStatus = AlertStatus.firing
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    # The most telling items (detection picks them), so a message can quote titles without
    # a round trip to Elasticsearch at send time.
    top_items: list[AlertItem] = Field(default_factory=list)


class Notification(_Record):
    """One message for one receiver about one alert group; the outbox's unit of delivery."""

    id: str
    receiver: str
    alert_ids: list[str]
    title: str
    body: str
    created_at: datetime
    attempts: int = 0
