"""Report periods: weeks (Monday to Sunday) and days, in Asia/Shanghai.

A period that has not ended yet (the current week in the demo) ends at ``now`` and is
compared with the same stretch of the previous week, so week-on-week compares like with
like instead of four days with seven.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from yuqing.records import SHANGHAI

WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    kind: str  # "weekly" | "daily"
    start: datetime
    end: datetime  # exclusive; earlier than the nominal end when the period is partial
    nominal_end: datetime

    @property
    def partial(self) -> bool:
        return self.end < self.nominal_end

    @property
    def step(self) -> timedelta:
        return timedelta(days=7 if self.kind == "weekly" else 1)

    def previous(self) -> Period:
        return Period(self.kind, self.start - self.step, self.end - self.step,
                      self.nominal_end - self.step)

    def days(self) -> list[tuple[datetime, datetime]]:
        """Calendar days [start, end) covered, each clipped to the period."""
        out = []
        day = self.start
        while day < self.end:
            nxt = _midnight(day.date() + timedelta(days=1))
            out.append((day, min(nxt, self.end)))
            day = nxt
        return out

    @property
    def slug(self) -> str:
        if self.kind == "weekly":
            y, w, _ = self.start.date().isocalendar()
            return f"{y}-W{w:02d}"
        return self.start.date().isoformat()

    def span_label(self) -> str:
        """``11月16日—11月22日`` (the dates only, for running text)."""
        s, e = self.start, self.nominal_end - timedelta(days=1)
        if self.kind == "daily":
            return f"{s.month}月{s.day}日"
        if self.partial:
            t = self.end
            return f"{s.month}月{s.day}日至{t.month}月{t.day}日 {t:%H:%M}"
        return f"{s.month}月{s.day}日—{e.month}月{e.day}日"

    def label(self) -> str:
        """``2026年第47周（11月16日—11月22日）`` or ``2026年11月20日``."""
        s = self.start
        if self.kind == "daily":
            return f"{s.year}年{s.month}月{s.day}日"
        y, w, _ = s.date().isocalendar()
        t = self.end
        tail = f"，截至{t.month}月{t.day}日 {t:%H:%M}" if self.partial else ""
        e = self.nominal_end - timedelta(days=1)
        return f"{y}年第{w}周（{s.month}月{s.day}日—{e.month}月{e.day}日{tail}）"


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), SHANGHAI)


def week(spec: str | None, now: datetime) -> Period:
    """ISO week ``YYYY-Www``; default the last complete week before ``now``."""
    now = now.astimezone(SHANGHAI)
    if spec:
        m = WEEK_RE.match(spec.strip())
        if not m:
            raise ValueError(f"week {spec!r}: expected YYYY-Www, e.g. 2026-W47")
        try:
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError as exc:
            raise ValueError(f"week {spec!r}: {exc}") from exc
    else:
        monday = now.date() - timedelta(days=now.weekday() + 7)
    start = _midnight(monday)
    nominal = start + timedelta(days=7)
    if start >= now:
        raise ValueError(f"week {spec} has not begun yet")
    return Period("weekly", start, min(nominal, now), nominal)


def day(spec: str | None, now: datetime) -> Period:
    """Calendar day ``YYYY-MM-DD``; default yesterday."""
    now = now.astimezone(SHANGHAI)
    try:
        d = date.fromisoformat(spec) if spec else now.date() - timedelta(days=1)
    except ValueError as exc:
        raise ValueError(f"date {spec!r}: expected YYYY-MM-DD") from exc
    start = _midnight(d)
    nominal = start + timedelta(days=1)
    if start >= now:
        raise ValueError(f"date {spec} has not begun yet")
    return Period("daily", start, min(nominal, now), nominal)
