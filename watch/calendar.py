"""Day types from the official holiday calendar (chinese-calendar), plus configured years.

A year the library does not know is never silently treated as an ordinary year: the
answer says ``known=False`` and a warning is logged once per year, so callers (the
heartbeat, ``yuqing calendar``) can say it loudly. Configured years (the ``calendar:``
section, installed with ``configure``) fill the gap or correct a known year.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import chinese_calendar

from .config import CalendarConfig

log = logging.getLogger(__name__)

# chinese-calendar's English holiday names → the names a duty office uses.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

# Installed by configure(); module state because the detector's day_type() is called deep
# inside detection where threading a config through every call would obscure the maths.
_CONFIG = CalendarConfig()


def configure(cfg: CalendarConfig) -> None:
    """Install the configured years and sensitive periods (idempotent, cheap when equal)."""
    global _CONFIG
    if cfg == _CONFIG:
        return
    _CONFIG = cfg
    day_info.cache_clear()


def current_config() -> CalendarConfig:
    return _CONFIG


@dataclass(frozen=True)
class DayInfo:
    day: date
    off_day: bool
    holiday: str | None  # Chinese name of the official holiday, if any
    makeup_workday: bool  # 调休上班: a weekend day that is a working day
    known: bool  # False: neither the official calendar nor the configuration covers the year
    configured: bool = False  # the answer comes from the ``calendar:`` section

    @property
    def day_type(self) -> str:
        """workday / weekend / holiday — the classes detection compares like with like."""
        if self.holiday:
            return "holiday"
        return "weekend" if self.off_day else "workday"


def _configured(d: date) -> DayInfo | None:
    yc = _CONFIG.years.get(d.year)
    if yc is None:
        return None
    weekend = d.weekday() >= 5
    for h in yc.holidays:
        if h.start <= d <= h.last:
            return DayInfo(d, True, h.name, False, known=True, configured=True)
    if d in yc.workdays:
        return DayInfo(d, False, None, makeup_workday=weekend, known=True, configured=True)
    if _library_knows(d.year):
        return None  # a correction of a known year: other days come from the library
    return DayInfo(d, weekend, None, False, known=True, configured=True)


@lru_cache(maxsize=64)
def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.get_holiday_detail(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def day_info(d: date) -> DayInfo:
    conf = _configured(d)
    if conf is not None:
        return conf
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        _warn_unknown(d.year)
        return DayInfo(d, d.weekday() >= 5, None, False, known=False)
    weekend = d.weekday() >= 5
    holiday = HOLIDAY_NAMES_ZH.get(name, name) if (on_holiday and name) else None
    return DayInfo(d, bool(on_holiday), holiday, makeup_workday=weekend and not on_holiday,
                   known=True)


def library_years() -> tuple[int, int]:
    """First and last year the installed chinese-calendar has official notices for."""
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def year_known(year: int) -> bool:
    return year in _CONFIG.years or _library_knows(year)


def unknown_year_warning(year: int) -> str:
    return (f"{year} 年法定节假日安排未知：节假日和调休上班日均未掌握（仅按周末计算）；"
            f"请升级 chinesecalendar 或在配置 calendar.years.{year} 中填写国务院办公厅通知")


@lru_cache(maxsize=64)
def _warn_unknown(year: int) -> None:
    log.warning("official holiday calendar unknown for %d: holidays and make-up workdays "
                "are NOT known (weekends only); update chinesecalendar or configure "
                "calendar.years.%d", year, year)


def day_type(d: date) -> str:
    return day_info(d).day_type
