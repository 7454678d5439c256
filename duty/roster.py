"""Who is on duty at any moment: shifts from the calendar, rotation, swaps, overrides.

A normal day has a day shift (白班, day_start → night_start) and a night shift (夜班,
night_start → next day_start); a day at a level in ``full_day_levels`` (official holidays
and sensitive periods by default) is one 24-hour shift (24小时班) from day_start. Officers
take shifts in turn counted from ``roster.start``; the shift leader (带班领导) rotates per
day. Swaps exchange the officers of two shifts, then overrides replace whoever is named.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from watch.levels import watch_on
from yuqing.records import SHANGHAI

from .config import DutyConfig

KIND_ZH = {"day": "白班", "night": "夜班", "full": "24小时班"}


@dataclass(frozen=True)
class Shift:
    id: str  # 2026-10-01/day
    kind: str  # day / night / full
    start: datetime
    end: datetime
    level: str  # the watch level of the shift's day
    officer: str | None
    leader: str | None
    office_head: str | None

    @property
    def name(self) -> str:
        return KIND_ZH[self.kind]

    def covers(self, t: datetime) -> bool:
        return self.start <= t < self.end


def _at(d: date, hhmm: str) -> datetime:
    return datetime.combine(d, time(int(hhmm[:2]), int(hhmm[3:])), SHANGHAI)


class DutyRoster:
    def __init__(self, cfg: DutyConfig):
        self.cfg = cfg
        self.r = cfg.roster
        self._count: dict[date, int] = {}  # shifts before a day, counted from roster.start
        self._overrides = {o.shift: o for o in self.r.overrides}
        self._swaps: dict[str, str] = {}
        for s in self.r.swaps:
            a, b = s.shifts
            self._swaps[a], self._swaps[b] = b, a

    def _kinds(self, d: date) -> tuple[str, ...]:
        return ("full",) if watch_on(d).level in self.r.full_day_levels else ("day", "night")

    def _shifts_before(self, d: date) -> int:
        if d in self._count:
            return self._count[d]
        start = self.r.start
        step = 1 if d >= start else -1
        n, cur = 0, start
        while cur != d:
            if step > 0:
                n += len(self._kinds(cur))
                cur += timedelta(days=1)
            else:
                cur -= timedelta(days=1)
                n -= len(self._kinds(cur))
        self._count[d] = n
        return n

    def _raw(self, d: date, kind: str) -> Shift:
        kinds = self._kinds(d)
        if kind not in kinds:
            raise KeyError(f"{d.isoformat()}/{kind}")
        idx = self._shifts_before(d) + kinds.index(kind)
        r = self.r
        officer = r.officers[idx % len(r.officers)] if r.officers else None
        leader = r.leaders[(d - r.start).days % len(r.leaders)] if r.leaders else None
        if kind == "full":
            start, end = _at(d, r.day_start), _at(d + timedelta(days=1), r.day_start)
        elif kind == "day":
            start, end = _at(d, r.day_start), _at(d, r.night_start)
        else:
            start, end = _at(d, r.night_start), _at(d + timedelta(days=1), r.day_start)
        return Shift(f"{d.isoformat()}/{kind}", kind, start, end, watch_on(d).level, officer,
                     leader, r.office_head)

    def shift(self, d: date, kind: str) -> Shift:
        s = self._raw(d, kind)
        other = self._swaps.get(s.id)
        if other is not None:
            od, ok = other.split("/")
            try:
                s = replace(s, officer=self._raw(date.fromisoformat(od), ok).officer)
            except KeyError:
                pass  # the other shift does not exist (its day became a 24-hour day)
        o = self._overrides.get(s.id)
        if o is not None:
            s = replace(s, officer=o.officer or s.officer, leader=o.leader or s.leader)
        return s

    def shifts_of(self, d: date) -> list[Shift]:
        return [self.shift(d, k) for k in self._kinds(d)]

    def at(self, t: datetime) -> Shift:
        t = t.astimezone(SHANGHAI)
        for d in (t.date(), t.date() - timedelta(days=1)):
            for s in self.shifts_of(d):
                if s.covers(t):
                    return s
        raise LookupError(f"no shift covers {t}")  # cannot happen: shifts tile the time

    def previous(self, s: Shift) -> Shift:
        return self.at(s.start - timedelta(seconds=1))

    def between(self, start: datetime, end: datetime) -> list[Shift]:
        out, cur = [], self.at(start)
        while cur.start < end:
            out.append(cur)
            cur = self.at(cur.end)
        return out

    def by_id(self, shift_id: str) -> Shift:
        d, kind = shift_id.split("/")
        return self.shift(date.fromisoformat(d), kind)


def missing_shifts(cfg: DutyConfig, root: str = "duty") -> list[str]:
    """Overrides and swaps naming a shift their day does not have (``2026-10-01/day`` when
    国庆 makes it one 24-hour shift): the roster would skip them without a word, and the
    officer who asked for the day off would still be the one on duty."""
    roster = DutyRoster(cfg)
    out: list[str] = []

    def check(path: str, shift_id: str) -> None:
        d, kind = shift_id.split("/")
        kinds = roster._kinds(date.fromisoformat(d))
        if kind not in kinds:
            have = ", ".join(f"{d}/{k}" for k in kinds)
            out.append(f"{path}: {shift_id} does not exist (that day has {have})")

    for i, o in enumerate(cfg.roster.overrides):
        check(f"{root}.roster.overrides[{i}].shift", o.shift)
    for i, s in enumerate(cfg.roster.swaps):
        for j, shift_id in enumerate(s.shifts):
            check(f"{root}.roster.swaps[{i}].shifts[{j}]", shift_id)
    return out
