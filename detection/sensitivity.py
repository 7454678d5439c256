"""The detection thresholds in force at a moment, from the watch level.

During official holidays and sensitive periods the office keeps a 24-hour watch and wants
to hear earlier, so thresholds are scaled down by the level's factor
(``watch.sensitivity_factor``: normal 1.0, holiday 0.75, sensitive 0.6 by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from watch.levels import watch_at, watch_on
from yuqing.records import SHANGHAI

from .growth import Sensitivity

DEFAULT = Sensitivity()
DEFAULT_FACTORS: Mapping[str, float] = {"normal": 1.0, "holiday": 0.75, "sensitive": 0.6}
HOLIDAY_FACTOR = DEFAULT_FACTORS["holiday"]  # kept for callers of the first version


def sensitivity_at(now: datetime, base: Sensitivity = DEFAULT,
                   factors: Mapping[str, float] | None = None,
                   day_start: str | None = None) -> Sensitivity:
    """``day_start`` (HH:MM, the duty roster's): a day's watch runs until the next day's
    start, as its shifts do, so the hours after midnight keep the level of the day before:
    the last holiday night is still watched at holiday thresholds, and the night before a
    holiday (a normal night, with quiet hours) does not yet turn warnings critical."""
    if day_start is not None:
        local = now.astimezone(SHANGHAI)
        start = timedelta(hours=int(day_start[:2]), minutes=int(day_start[3:]))
        level = watch_on((local - start).date()).level
    else:
        level = watch_at(now).level
    factor = (factors or DEFAULT_FACTORS).get(level, 1.0)
    return base if factor == 1.0 else base.scaled(factor)


def configured_sensitivity(cfg, now: datetime) -> Sensitivity:
    """The thresholds in force at ``now`` under a full configuration (its factors and its
    duty day): what live detection, replay, ``scheme test`` and the console all use."""
    return sensitivity_at(now, factors=cfg.watch.sensitivity_factor,
                          day_start=cfg.duty.roster.day_start)
