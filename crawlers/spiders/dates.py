"""Dates printed on list pages (thread rows, message lists, article lists).

Uses the extractor's ``crawlers.extraction.dates.parse_date`` when it exists; until then a
small fallback covers the forms list pages show. TODO: drop the fallback once the
extraction package with ``dates.parse_date`` is merged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from yuqing.records import SHANGHAI

_ABS = re.compile(r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                  r"(?:\s*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?)?")
_REL = re.compile(r"(\d+)\s*(秒|分钟|小时|天|周)前")
_DAYWORD = re.compile(r"(今天|昨天|前天)\s*(?:(\d{1,2})\s*[:：]\s*(\d{1,2}))?")
_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days", "周": "weeks"}


def _fallback_parse(s: str, now: datetime) -> datetime | None:
    s = s.strip().replace("发表于", "").replace("：", ":").strip()
    now = now.astimezone(SHANGHAI)
    if not s:
        return None
    if "刚刚" in s:
        return now
    m = _REL.search(s)
    if m:
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    m = _DAYWORD.search(s)
    if m:
        day = now - timedelta(days=("今天", "昨天", "前天").index(m.group(1)))
        hh, mm = int(m.group(2) or 0), int(m.group(3) or 0)
        return day.replace(hour=hh, minute=mm, second=0, microsecond=0)
    m = _ABS.search(s)
    if not m:
        return None
    year = int(m.group(1)) if m.group(1) else now.year
    try:
        when = datetime(year, int(m.group(2)), int(m.group(3)), int(m.group(4) or 0),
                        int(m.group(5) or 0), int(m.group(6) or 0), tzinfo=SHANGHAI)
    except ValueError:
        return None
    if not m.group(1) and when > now + timedelta(days=1):
        when = when.replace(year=year - 1)  # "12-30" seen in January is last year's
    return when if when <= now + timedelta(hours=12) else None


def _resolve() -> Callable[[str, datetime], datetime | None]:
    try:
        from crawlers.extraction.dates import parse_date  # type: ignore[attr-defined]
    except ImportError:
        return _fallback_parse
    return parse_date  # type: ignore[no-any-return]


_parse = _resolve()


def parse_list_date(s: str | None, now: datetime) -> datetime | None:
    """A date from a snippet of list-page text, or None; never raises."""
    if not s or not s.strip():
        return None
    try:
        return _parse(s, now) or _fallback_parse(s, now)
    except Exception:  # noqa: BLE001 - a list date is a hint; a bad one is no date
        return None
