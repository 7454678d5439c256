"""Named time intervals, Alertmanager-style, plus the duty calendar.

A named interval matches when any of its ``time_intervals`` entries matches; an entry
matches when every field it sets matches (unset = any). Alertmanager's fields: ``times``
(``start_time``/``end_time`` HH:MM, end exclusive, 24:00 allowed), ``weekdays``
(``monday:friday``), ``days_of_month`` (``1:5``, ``-1`` = last day), ``months``
(``january:march`` or numbers), ``years``. Ours: ``holidays`` (an official holiday,
true/false), ``off_days`` (any day off: weekend or holiday, with 调休 applied),
``sensitive_periods`` (names; ``"*"`` = any), ``watch_levels``. Times are Asia/Shanghai.
A ``times`` range may wrap midnight (22:00-07:00, which Alertmanager does not allow); its
hours after midnight belong to the day the night began, for every day field.
"""

from __future__ import annotations

import calendar as _cal
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yuqing.records import SHANGHAI

from .config import WatchLevel

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [m.lower() for m in _cal.month_name[1:]]
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _minutes(text: str) -> int:
    m = _HHMM.match(text)
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"{text!r} is not a time like 08:30 (00:00 to 24:00)")
    return int(m.group(1)) * 60 + int(m.group(2))


class TimeRange(_Model):
    start_time: str
    end_time: str

    @field_validator("start_time", "end_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        _minutes(v)
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRange:
        # Alertmanager refuses it too: a mute that never mutes is a typo, not a wish.
        if _minutes(self.start_time) == _minutes(self.end_time):
            raise ValueError(f"start_time and end_time are both {self.start_time}, so the "
                             "range covers no time (the whole day is 00:00 to 24:00)")
        return self

    def end(self) -> int:
        return _minutes(self.end_time)

    def wraps(self) -> bool:
        # A range that wraps midnight (22:00-07:00) is allowed: duty nights do.
        return _minutes(self.start_time) > _minutes(self.end_time)

    def covers(self, minute: int) -> bool:
        lo, hi = _minutes(self.start_time), _minutes(self.end_time)
        return lo <= minute < hi if lo <= hi else (minute >= lo or minute < hi)


def _parse_range(text: str, names: list[str] | None, lo: int, hi: int,
                 negative: bool = False) -> tuple[int, int]:
    def one(tok: str) -> int:
        tok = tok.strip().lower()
        if names and tok in names:
            return names.index(tok) + 1
        try:
            n = int(tok)
        except ValueError:
            raise ValueError(f"{text!r}: {tok!r} is not valid here") from None
        if not (lo <= n <= hi or (negative and -hi <= n <= -1)):
            raise ValueError(f"{text!r}: {n} out of range")
        return n

    a, _, b = str(text).partition(":")
    return one(a), one(b) if b else one(a)


def _checker(names: list[str] | None, lo: int, hi: int, negative: bool = False):
    def check(v: list[str]) -> list[str]:
        for t in v:
            _parse_range(t, names, lo, hi, negative)
        return [str(t) for t in v]
    return check


class TimeIntervalSpec(_Model):
    times: list[TimeRange] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list)
    days_of_month: list[str] = Field(default_factory=list)
    months: list[str] = Field(default_factory=list)
    years: list[str] = Field(default_factory=list)
    holidays: bool | None = None
    off_days: bool | None = None
    sensitive_periods: list[str] = Field(default_factory=list)
    watch_levels: list[WatchLevel] = Field(default_factory=list)

    _w = field_validator("weekdays", mode="before")(_checker(_WEEKDAYS, 1, 7))
    _d = field_validator("days_of_month", mode="before")(_checker(None, 1, 31, negative=True))
    _m = field_validator("months", mode="before")(_checker(_MONTHS, 1, 12))
    _y = field_validator("years", mode="before")(_checker(None, 1970, 9999))

    def matches(self, t: datetime) -> bool:
        t = t.astimezone(SHANGHAI)
        minute = t.hour * 60 + t.minute
        if not self.times:
            return self._day_matches(t.date())
        # The part of a range that wraps midnight belongs to the night it began, as a
        # night shift does: "weekdays: friday, 22:00-07:00" covers Saturday 02:00, and
        # "off_days: true" nights end on the morning after the last day off.
        days = {t.date() - timedelta(days=1) if r.wraps() and minute < r.end() else t.date()
                for r in self.times if r.covers(minute)}
        return any(self._day_matches(d) for d in days)

    def _day_matches(self, d: date) -> bool:
        from .calendar import day_info
        from .levels import watch_on

        if self.weekdays and not _in(d.isoweekday(), self.weekdays, _WEEKDAYS, 1, 7):
            return False
        if self.days_of_month:
            last = _cal.monthrange(d.year, d.month)[1]
            ok = False
            for spec in self.days_of_month:
                a, b = _parse_range(spec, None, 1, 31, negative=True)
                a, b = (last + 1 + a if a < 0 else a), (last + 1 + b if b < 0 else b)
                ok = ok or a <= d.day <= b
            if not ok:
                return False
        if self.months and not _in(d.month, self.months, _MONTHS, 1, 12):
            return False
        if self.years and not _in(d.year, self.years, None, 1970, 9999):
            return False
        if self.holidays is not None or self.off_days is not None:
            info = day_info(d)
            if self.holidays is not None and bool(info.holiday) != self.holidays:
                return False
            if self.off_days is not None and info.off_day != self.off_days:
                return False
        if self.sensitive_periods or self.watch_levels:
            w = watch_on(d)
            if self.sensitive_periods and not (
                    ("*" in self.sensitive_periods and w.sensitive_periods)
                    or set(self.sensitive_periods) & set(w.sensitive_periods)):
                return False
            if self.watch_levels and w.level not in self.watch_levels:
                return False
        return True


def _in(value: int, specs: list[str], names: list[str] | None, lo: int, hi: int) -> bool:
    for spec in specs:
        a, b = _parse_range(spec, names, lo, hi)
        if a <= value <= b:
            return True
    return False


class TimeInterval(_Model):
    name: str = Field(min_length=1)
    time_intervals: list[TimeIntervalSpec] = Field(default_factory=list)
    # False only for a bare name from a pre-calendar configuration (never written by hand).
    defined: bool = True

    def matches(self, t: datetime) -> bool:
        # As in Alertmanager, an interval without entries is always in effect.
        return not self.time_intervals or any(s.matches(t) for s in self.time_intervals)


def interval_check(intervals: list[TimeInterval]) -> Callable[[str, datetime], bool | None]:
    """The function ``alerts.routing.plan(intervals=...)`` takes: name, now → in effect?
    None for a bare, undefined name: routing ignores it, as it did before definitions."""
    by_name = {i.name: i for i in intervals}

    def check(name: str, now: datetime) -> bool | None:
        ti = by_name.get(name)
        if ti is None or not ti.defined:
            return None
        return ti.matches(now)

    return check
