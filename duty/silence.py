"""How long a source is usually silent, from the times its crawl runs found new items.

The median gap between items said a batch publisher (5 notices at once each week) posts
"every minute" and a workday-only board "every hour", so both were called silent every
night, weekend and week. Two changes make the usual silence a source's own:

* Finds, not items: the history is the end times of runs that found new items, so a batch
  counts once (``crawlers.state.add_find``: at most one an hour, 336 of them: two weeks even for a
  source that has something every run, a year and more for a weekly one).
* Time-weighted quantile: the usual silence is the length that ``quantile`` (0.9) of the
  source's silent time was spent in gaps no longer than, i.e. the silence a random moment
  falls into. A news site busy all day but quiet 23:00-08:00 spends a third of its time in
  the night gap, so the night is usual, though it is one gap in thirty; a count quantile
  would ignore it, as the median did.
* Its own clock: a source whose finds all but never (< ``OFF_HOURS_SHARE``) fall outside
  workday working hours (08:00-20:00 on a workday of the official calendar, make-up
  workdays included) has its gaps and its current silence counted in working hours only:
  a government board's nights, weekends and holidays are no silence at all.

Silent: the current silence (on the source's clock) exceeds ``silence_quantile_factor`` ×
that quantile, and at least ``min_silence_minutes``. The history only grows with finds, so
a source that stops keeps the threshold it had: the bound for a busy source that stops is
at most factor × its usual longest silence (18 h for the all-day news site, 6 h floor for
one that posts around the clock; a one-off longer gap in the history, such as an outage,
is left out). Until the history spans ``MIN_SPAN`` with ``MIN_GAPS``
gaps (state files from before, new sources) the caller falls back to the median gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from watch.calendar import day_info
from yuqing.records import SHANGHAI

MIN_GAPS = 4
MIN_SPAN = timedelta(days=7)
OFF_HOURS_SHARE = 0.1
WORK_START, WORK_END = time(8), time(20)


def _working(t: datetime) -> bool:
    local = t.astimezone(SHANGHAI)
    return (not day_info(local.date()).off_day) and WORK_START <= local.time() < WORK_END


def working_minutes(a: datetime, b: datetime) -> float:
    """Minutes of workday working hours between ``a`` and ``b``."""
    a, b = a.astimezone(SHANGHAI), b.astimezone(SHANGHAI)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if not day_info(day).off_day:
            start = datetime.combine(day, WORK_START, SHANGHAI)
            end = datetime.combine(day, WORK_END, SHANGHAI)
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        day += timedelta(days=1)
    return total


@dataclass(frozen=True)
class UsualSilence:
    minutes: float  # the time-weighted quantile of the gaps, on the source's clock
    workday_clock: bool

    def elapsed(self, since: datetime, now: datetime) -> float:
        """Minutes of silence between ``since`` and ``now`` on the source's clock."""
        if self.workday_clock:
            return working_minutes(since, now)
        return (now - since).total_seconds() / 60


def usual_silence(history: Sequence[str], quantile: float) -> UsualSilence | None:
    """None until the history is long enough to say what is usual."""
    times = sorted(datetime.fromisoformat(t) for t in history)
    if len(times) < MIN_GAPS + 1 or times[-1] - times[0] < MIN_SPAN:
        return None
    off = sum(not _working(t) for t in times)
    workday = off < OFF_HOURS_SHARE * len(times)
    clock = UsualSilence(0.0, workday)
    gaps = sorted(clock.elapsed(a, b) for a, b in zip(times, times[1:], strict=False))
    # Time weighting lets one long gap dominate: a gap more than twice the next longest
    # happened once (the crawler or the site was down), it is no usual silence.
    while len(gaps) > MIN_GAPS and gaps[-1] > 2 * gaps[-2]:
        gaps.pop()
    total = sum(gaps)
    if total <= 0:
        return clock
    seen = 0.0
    for gap in gaps:
        seen += gap
        if seen >= quantile * total:
            return UsualSilence(gap, workday)
    return UsualSilence(gaps[-1], workday)
