"""The detection thresholds in force at a moment, from the watch calendar."""

from __future__ import annotations

from datetime import datetime

from watch.calendar import day_info

from .growth import Sensitivity

DEFAULT = Sensitivity()
# During official holidays the office keeps a 24-hour watch and wants to hear earlier.
HOLIDAY_FACTOR = 0.75


def sensitivity_at(now: datetime, base: Sensitivity = DEFAULT) -> Sensitivity:
    info = day_info(now.date())
    return base.scaled(HOLIDAY_FACTOR) if info.holiday else base
