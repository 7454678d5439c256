"""The detection thresholds in force at a moment, from the watch level.

During official holidays and sensitive periods the office keeps a 24-hour watch and wants
to hear earlier, so thresholds are scaled down by the level's factor
(``watch.sensitivity_factor``: normal 1.0, holiday 0.75, sensitive 0.6 by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from watch.levels import watch_at

from .growth import Sensitivity

DEFAULT = Sensitivity()
DEFAULT_FACTORS: Mapping[str, float] = {"normal": 1.0, "holiday": 0.75, "sensitive": 0.6}
HOLIDAY_FACTOR = DEFAULT_FACTORS["holiday"]  # kept for callers of the first version


def sensitivity_at(now: datetime, base: Sensitivity = DEFAULT,
                   factors: Mapping[str, float] | None = None) -> Sensitivity:
    factor = (factors or DEFAULT_FACTORS).get(watch_at(now).level, 1.0)
    return base if factor == 1.0 else base.scaled(factor)
