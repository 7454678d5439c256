"""Dates printed on list pages (thread rows, message lists, article lists).

One parser for every Chinese date form: the extractor's ``parse_date`` (absolute,
year-less, relative 刚刚/3小时前/昨天 12:30, resolved in Asia/Shanghai, future and
pre-1995 dates rejected). List snippets carry labels such as 发表于 that it tolerates.
"""

from __future__ import annotations

import re
from datetime import datetime

from crawlers.extraction.dates import parse_date

# A bare "11-20" is too ambiguous inside article text for the extractor to accept, but in
# a list's date column it is the month and day.
_BARE_MONTH_DAY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})$")


def parse_list_date(s: str | None, now: datetime) -> datetime | None:
    """A date from a snippet of list-page text, or None; never raises."""
    if not s or not s.strip():
        return None
    text = s.replace("发表于", "").strip()
    m = _BARE_MONTH_DAY.match(text)
    if m:
        text = f"{int(m.group(1))}月{int(m.group(2))}日"
    try:
        return parse_date(text, now)
    except Exception:  # noqa: BLE001 - a list date is a hint; a bad one is no date
        return None
