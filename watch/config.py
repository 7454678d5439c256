"""The ``calendar:`` section: years the official calendar lacks, and sensitive periods.

Must not import ``yuqing.config`` (which imports it). Dates are calendar days in
Asia/Shanghai; ranges are inclusive at both ends, as the State Council notices write them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from yuqing.records import SHANGHAI

WatchLevel = Literal["normal", "holiday", "sensitive"]
# Higher wins when several apply: a sensitive period inside a holiday is watched as sensitive.
LEVELS: tuple[WatchLevel, ...] = ("normal", "holiday", "sensitive")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HolidayRange(_Model):
    name: str = Field(min_length=1)
    start: date
    end: date | None = None  # a single day when omitted

    @model_validator(mode="after")
    def _order(self) -> HolidayRange:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def last(self) -> date:
        return self.end or self.start


class YearCalendar(_Model):
    """Official holidays and make-up workdays (调休上班) of one year, from the notice."""

    holidays: list[HolidayRange] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


def _month_day(v: str | None) -> str | None:
    if v is None:
        return v
    m = _MONTH_DAY.match(v)
    if not m:
        raise ValueError(f"{v!r} is not a month-day like 06-01")
    try:
        date(2024, int(m.group(1)), int(m.group(2)))  # 2024: a leap year admits 02-29
    except ValueError as exc:
        raise ValueError(f"{v!r}: {exc}") from None
    return v


class SensitivePeriod(_Model):
    """A named stretch of heightened watch: dated (全国两会 2027) or yearly (汛期 06-01..09-30)."""

    name: str = Field(min_length=1)
    start: date | None = None
    end: date | None = None
    # Yearly recurring: month-day bounds, e.g. from "06-01" to "09-30"; may wrap the year end.
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    note: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _md = field_validator("from_", "to")(_month_day)

    @model_validator(mode="after")
    def _shape(self) -> SensitivePeriod:
        dated = self.start is not None or self.end is not None
        yearly = self.from_ is not None or self.to is not None
        if dated == yearly:
            raise ValueError("give either start/end (dates) or from/to (yearly month-days)")
        if dated and (self.start is None or self.end is None):
            raise ValueError("a dated period needs both start and end")
        if yearly and (self.from_ is None or self.to is None):
            raise ValueError("a yearly period needs both from and to")
        if dated and self.end < self.start:  # type: ignore[operator]
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def covers(self, d: date) -> bool:
        if self.start is not None and self.end is not None:
            return self.start <= d <= self.end
        md = d.strftime("%m-%d")
        lo, hi = self.from_ or "", self.to or ""
        return lo <= md <= hi if lo <= hi else (md >= lo or md <= hi)


class CalendarConfig(_Model):
    # Years the chinese-calendar package does not know yet (or local corrections to one it
    # knows): a configured year counts as known. Keys are years.
    years: dict[int, YearCalendar] = Field(default_factory=dict)
    sensitive_periods: list[SensitivePeriod] = Field(default_factory=list)
    # Warn this many days before a year whose calendar is unknown begins (the notice for
    # next year usually appears in late October or November).
    warn_ahead_days: int = Field(60, ge=0)

    @model_validator(mode="after")
    def _years_match(self) -> CalendarConfig:
        for year, yc in self.years.items():
            days = [d for h in yc.holidays for d in (h.start, h.last)] + list(yc.workdays)
            wrong = [d for d in days if d.year != year]
            if wrong:
                raise ValueError(f"years.{year}: date {wrong[0]} is not in {year}")
        names = [p.name for p in self.sensitive_periods]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            # Several dated ranges may share a name (两会 each year); only yearly ones clash.
            yearly = [p.name for p in self.sensitive_periods if p.from_ is not None]
            clash = {n for n in yearly if yearly.count(n) > 1}
            if clash:
                raise ValueError(f"sensitive_periods: yearly period {sorted(clash)[0]!r} "
                                 "is defined twice")
        return self


def _per_level(normal: float, holiday: float, sensitive: float):
    return lambda: {"normal": normal, "holiday": holiday, "sensitive": sensitive}


class CrawlHealth(_Model):
    """When a source counts as silent or failing (rule ``crawl_health``)."""

    # Silent: no new items for this many times the source's usual silence (the
    # time-weighted ``silence_quantile`` of the gaps between its runs that found new items,
    # on its own clock: see duty.silence)...
    silence_quantile: float = Field(0.9, gt=0, le=1)
    silence_quantile_factor: float = Field(2.0, gt=1)
    # ...or, until a source has a week of such runs, this many times its median gap
    # between items...
    silence_factor: float = Field(6.0, gt=1)
    # ...and at least this long (minutes), so a chatty forum's lunch break is not an alarm.
    min_silence_minutes: int = Field(360, ge=1)
    # Failing: no successful run for this many crawl intervals (and at least 30 minutes).
    failing_runs: int = Field(3, ge=1)
    # Failing too: this many new pages in a row that could not be read (no text, the
    # extractor failed; index pages do not count), none read since. Pages, not runs: one
    # image-only notice retried on the back-off must not raise it.
    unreadable_pages: int = Field(3, ge=1)
    enabled: bool = True


class WatchConfig(_Model):
    """What the watch level changes. Factors multiply; below 1 means more often / lower."""

    # Crawl interval multiplier per level (a source's own ``intervals`` win over it).
    crawl_factor: dict[WatchLevel, float] = Field(default_factory=_per_level(1.0, 0.5, 0.5))
    # Detection threshold multiplier per level (detection.growth.Sensitivity.scaled).
    sensitivity_factor: dict[WatchLevel, float] = Field(
        default_factory=_per_level(1.0, 0.75, 0.6))
    # At the normal level only critical alerts are sent in these hours (HH:MM-HH:MM,
    # Asia/Shanghai); the rest wait for the morning. At elevated levels there are none.
    quiet_hours: str | None = "22:00-07:00"
    crawl_health: CrawlHealth = Field(default_factory=CrawlHealth)

    @field_validator("crawl_factor", "sensitivity_factor")
    @classmethod
    def _positive(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        for k, f in v.items():
            if not 0 < f <= 10:
                raise ValueError(f"{k}: factor must be in (0, 10], got {f}")
        # {holiday: 0.3} changes the holiday factor; the other levels keep their defaults.
        return {**cls.model_fields[info.field_name].default_factory(), **v}

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$", v):
            raise ValueError(f"{v!r} is not a range like 22:00-07:00")
        return v

    def quiet(self, now: datetime) -> bool:
        """In quiet hours at ``now``: only critical alerts (and their escalations) go out.
        Never at an elevated watch level: a 24-hour watch has no night. The hours after
        midnight belong to the night's first day, as the night shift does: the night
        before a holiday is quiet, the night after its last day is still watched."""
        from .levels import watch_on

        local = now.astimezone(SHANGHAI)
        minute = local.hour * 60 + local.minute
        bounds = self._quiet_bounds()
        if bounds is None or not _within(minute, *bounds):
            return False
        lo, hi = bounds
        past_midnight = lo > hi and minute < hi
        return not watch_on(local.date() - timedelta(days=int(past_midnight))).elevated

    def _quiet_bounds(self) -> tuple[int, int] | None:
        if not self.quiet_hours:
            return None
        a, b = self.quiet_hours.split("-")
        return int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])

    def quiet_at(self, minute: int) -> bool:
        bounds = self._quiet_bounds()
        return bounds is not None and _within(minute, *bounds)


def _within(minute: int, lo: int, hi: int) -> bool:
    """``minute`` of the day in [lo, hi), a range that may wrap midnight."""
    return lo <= minute < hi if lo <= hi else (minute >= lo or minute < hi)
