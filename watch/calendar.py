"""Day types from the official holiday calendar (chinese-calendar).

A year the library does not know is never silently treated as an ordinary year: the
answer says ``known=False`` and a warning is logged once per year, so callers (the
heartbeat, ``yuqing calendar``) can say it loudly. Configured years fill the gap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import chinese_calendar

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


@dataclass(frozen=True)
class DayInfo:
    day: date
    off_day: bool
    holiday: str | None  # Chinese name of the official holiday, if any
    makeup_workday: bool  # 调休上班: a weekend day that is a working day
    known: bool  # False: the official calendar does not cover this year

    @property
    def day_type(self) -> str:
        """workday / weekend / holiday — the classes detection compares like with like."""
        if self.holiday:
            return "holiday"
        return "weekend" if self.off_day else "workday"


@lru_cache(maxsize=4096)
def day_info(d: date) -> DayInfo:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        _warn_unknown(d.year)
        return DayInfo(d, d.weekday() >= 5, None, False, known=False)
    weekend = d.weekday() >= 5
    holiday = HOLIDAY_NAMES_ZH.get(name, name) if (on_holiday and name) else None
    return DayInfo(d, bool(on_holiday), holiday, makeup_workday=weekend and not on_holiday,
                   known=True)


@lru_cache(maxsize=64)
def _warn_unknown(year: int) -> None:
    log.warning("official holiday calendar unknown for %d: holidays and make-up workdays "
                "are NOT known (weekends only); update chinesecalendar or configure them",
                year)


def day_type(d: date) -> str:
    return day_info(d).day_type
