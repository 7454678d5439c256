"""The watch level of a moment and why: normal < holiday < sensitive (the highest wins).

Official holidays (and configured ones) raise the watch to ``holiday``; a configured
sensitive period raises it to ``sensitive`` whatever the day type, because a sensitive
anniversary on a plain Tuesday needs the closest watch of all. Levels change at midnight
Asia/Shanghai: the notices and the office both count whole days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from yuqing.records import SHANGHAI

from .calendar import current_config, day_info, unknown_year_warning, year_known
from .config import CalendarConfig, WatchLevel


@dataclass(frozen=True)
class Watch:
    day: date
    level: WatchLevel
    reasons: tuple[str, ...]
    off_day: bool
    holiday: str | None
    makeup_workday: bool
    sensitive_periods: tuple[str, ...]
    known: bool

    @property
    def elevated(self) -> bool:
        return self.level != "normal"


def sensitive_on(d: date, cfg: CalendarConfig | None = None) -> tuple[str, ...]:
    cfg = cfg or current_config()
    return tuple(dict.fromkeys(p.name for p in cfg.sensitive_periods if p.covers(d)))


def watch_on(d: date, cfg: CalendarConfig | None = None) -> Watch:
    info = day_info(d)
    periods = sensitive_on(d, cfg)
    reasons: list[str] = []
    level: WatchLevel = "normal"
    if info.holiday:
        level = "holiday"
        reasons.append(f"法定节假日：{info.holiday}")
    if periods:
        level = "sensitive"
        reasons.extend(f"敏感时期：{p}" for p in periods)
    if info.makeup_workday:
        reasons.append("调休上班日")
    if not info.known:
        reasons.append(f"节假日安排未知（{d.year} 年）")
    return Watch(d, level, tuple(reasons), info.off_day, info.holiday, info.makeup_workday,
                 periods, info.known)


def watch_at(now: datetime, cfg: CalendarConfig | None = None) -> Watch:
    return watch_on(now.astimezone(SHANGHAI).date(), cfg)


def calendar_warnings(now: datetime, cfg: CalendarConfig | None = None) -> list[str]:
    """Loud warnings for this year, and for next year once it is close, when unknown."""
    cfg = cfg or current_config()
    today = now.astimezone(SHANGHAI).date()
    years = [today.year]
    if (date(today.year + 1, 1, 1) - today) <= timedelta(days=cfg.warn_ahead_days):
        years.append(today.year + 1)
    return [unknown_year_warning(y) for y in years if not year_known(y)]


def next_change(now: datetime, cfg: CalendarConfig | None = None, horizon_days: int = 400
                ) -> tuple[datetime, Watch] | None:
    """When the watch level next changes (midnight of the first day at another level)."""
    today = now.astimezone(SHANGHAI).date()
    level = watch_on(today, cfg).level
    for k in range(1, horizon_days):
        w = watch_on(today + timedelta(days=k), cfg)
        if w.level != level:
            return datetime.combine(w.day, datetime.min.time(), SHANGHAI), w
    return None
