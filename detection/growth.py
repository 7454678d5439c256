"""Growing-complaint detection: is the current window significantly above its baseline?

For each key (an event, a category × township, a monitoring scheme) the count of complaint
items in the current window (24 h ending at ``now``) is compared with the same window on
earlier days of the same day type (workday / weekend / official holiday) — like with like,
so a holiday's quiet or a Monday's backlog is not news. A window's day type is that of its
middle, and a holiday short of holiday history borrows weekends (``FALLBACK_DAY_TYPE``).
Significance is the Poisson upper tail P(X ≥ count | λ = baseline mean); an alert needs
a minimum count, a growth factor and a tail probability below the threshold, and then the
key cools down. A key with no history (a brand-new event) gets a small prior rate, so an
event that grows fast from nothing fires too.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from watch.calendar import day_type
from yuqing.records import SHANGHAI

MIN_HISTORY = 3
# The nearest like of a day type with too little history of its own: a holiday is a day
# off. Holidays are weeks apart, so the first days of one often have no earlier holiday
# within the baseline horizon.
FALLBACK_DAY_TYPE = {"holiday": "weekend"}


@dataclass(frozen=True)
class Sensitivity:
    """Detection thresholds; the watch level scales them (holidays: more sensitive)."""

    window: timedelta = timedelta(hours=24)
    baseline_days: int = 56
    baseline_windows: int = 8
    min_count: int = 5
    min_growth: float = 3.0
    max_p: float = 1e-4
    prior_rate: float = 0.3
    # A brand-new event has no history; the same complaint three times in a day from
    # nothing is what a duty office wants to hear about.
    event_min_count: int = 3
    event_prior_rate: float = 0.05
    cooldown: timedelta = timedelta(hours=72)
    # At this many items in the window an alert is critical; within a cool-down a key
    # fires again only to say it became critical.
    critical_count: int = 12

    def scaled(self, factor: float) -> Sensitivity:
        """factor < 1 lowers thresholds (more alerts), e.g. 0.6 during a holiday watch."""
        return Sensitivity(
            window=self.window, baseline_days=self.baseline_days,
            baseline_windows=self.baseline_windows,
            min_count=max(2, round(self.min_count * factor)),
            min_growth=max(1.5, self.min_growth * factor),
            max_p=min(0.05, self.max_p / max(factor, 1e-3) ** 4),
            prior_rate=self.prior_rate,
            event_min_count=max(2, round(self.event_min_count * factor)),
            event_prior_rate=self.event_prior_rate,
            cooldown=self.cooldown,
            critical_count=max(3, round(self.critical_count * factor)),
        )


def poisson_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), computed stably in log space."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    # 1 - CDF(k-1); for the small tails we care about, sum the upper terms directly.
    log_term = k * math.log(lam) - lam - math.lgamma(k + 1)
    total, term, i = 0.0, math.exp(log_term), k
    while term > 1e-300 and i < k + 1000:
        total += term
        i += 1
        term *= lam / i
        if term < total * 1e-16:
            break
    return min(1.0, total)


@dataclass
class Series:
    """Times of the complaint items under one key, kept sorted, with their item refs."""

    times: list[datetime] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)

    def add(self, when: datetime, ref: str) -> None:
        i = bisect.bisect_right(self.times, when)
        self.times.insert(i, when)
        self.refs.insert(i, ref)

    def count(self, start: datetime, end: datetime) -> int:
        return bisect.bisect_right(self.times, end) - bisect.bisect_right(self.times, start)

    def refs_in(self, start: datetime, end: datetime) -> list[str]:
        lo = bisect.bisect_right(self.times, start)
        hi = bisect.bisect_right(self.times, end)
        return self.refs[lo:hi]

    def prune(self, before: datetime) -> None:
        cut = bisect.bisect_left(self.times, before)
        if cut:
            del self.times[:cut]
            del self.refs[:cut]


@dataclass(frozen=True)
class Verdict:
    key: str
    count: int
    baseline: float
    growth: float
    p_value: float
    score: float  # -log10(p)
    critical: bool
    refs: list[str]
    window_start: datetime
    history_windows: int
    # The day types of the baseline windows: the window's own, or "holiday+weekend"
    # when days off filled in for a holiday history too short to judge by.
    compared_with: str = ""
    # A recurrence: the wave after an alert about the key was handled at this moment.
    recurs_after: datetime | None = None


def evaluate(series: Series, key: str, now: datetime, s: Sensitivity, *,
             known_since: datetime | None = None, needs_history: bool = True,
             day_type_of: Callable[[date], str] = day_type) -> Verdict | None:
    """The verdict for one key at ``now``, or None when it is not significantly growing.

    ``known_since`` is when observation began: earlier windows are unknown, not empty. A
    key that ``needs_history`` (a place or a scheme, which exist before their complaints)
    is not judged until it has ``MIN_HISTORY`` comparable windows; an event is new by
    nature and is judged against the prior rate."""
    start = now - s.window
    count = series.count(start, now)
    if count < (s.min_count if needs_history else s.event_min_count):
        return None
    now = now.astimezone(SHANGHAI)  # the calendar day is Beijing's
    counts, compared_with = _history(series, now, s, known_since, day_type_of)
    if needs_history and len(counts) < MIN_HISTORY:
        return None
    lam = _rate(counts, s, needs_history)
    growth = count / lam
    if growth < s.min_growth:
        return None
    p = poisson_tail(count, lam)
    if p > s.max_p:
        return None
    return _verdict(series, key, now, s, start, count, lam, counts, compared_with)


def recurrence(series: Series, key: str, now: datetime, s: Sensitivity, since: datetime,
               usual: float, *, known_since: datetime | None = None,
               needs_history: bool = True,
               day_type_of: Callable[[date], str] = day_type) -> Verdict | None:
    """A new wave after an alert about the key was handled at ``since``: only the items
    after it count. ``usual``: the key's rate before the issue (the baseline its first
    alert was judged against; the windows since hold the first wave itself).

    An event is one story: the officer said it was dealt with, so its coming back at the
    event's minimum count is news. A place or a scheme gathers many stories and can have
    a steady trickle of complaints: its new wave must also be ``min_growth`` times its
    usual rate, else a key with five complaints on an ordinary day would "recur" every
    day after each handling. No tail-probability test: a handled issue coming back needs
    less proof than a first alert."""
    start = max(now - s.window, since)
    count = series.count(start, now)
    if count < (s.min_count if needs_history else s.event_min_count):
        return None
    now = now.astimezone(SHANGHAI)
    counts, compared_with = _history(series, now, s, known_since, day_type_of)
    lam = usual if usual > 0 else _rate(counts, s, needs_history)
    if needs_history and count < s.min_growth * lam:
        return None
    return _verdict(series, key, now, s, start, count, lam, counts, compared_with,
                    recurs_after=since)


def _history(series: Series, now: datetime, s: Sensitivity, known_since: datetime | None,
             day_type_of: Callable[[date], str]) -> tuple[list[int], str]:
    """The counts of the earlier windows like this one (nearest first), and their type."""
    # A window is of the day type of its middle, the day most of it holds: at 00:05 on a
    # holiday's first day the last 24 hours are the workday before, and compared with
    # holiday windows that ordinary workday looks like a burst.
    half = s.window / 2
    kind = day_type_of((now - half).date())
    fallback = FALLBACK_DAY_TYPE.get(kind)
    counts: list[int] = []
    spare: list[int] = []  # windows of the fallback type, nearest first
    for back in range(1, s.baseline_days + 1):
        end = now - timedelta(days=back)
        if known_since is not None and end - s.window < known_since:
            break
        t = day_type_of((end - half).date())
        if t == kind:
            counts.append(series.count(end - s.window, end))
        elif t == fallback and len(spare) < s.baseline_windows:
            spare.append(series.count(end - s.window, end))
        if len(counts) >= s.baseline_windows:
            break
    if len(counts) < MIN_HISTORY and spare:
        return (counts + spare)[:s.baseline_windows], f"{kind}+{fallback}"
    return counts, kind


def _rate(counts: list[int], s: Sensitivity, needs_history: bool) -> float:
    # One pseudo-window at the prior rate keeps a short, lucky-quiet history from making
    # an ordinary day look like a burst.
    prior = s.prior_rate if needs_history else s.event_prior_rate
    return max(prior, (sum(counts) + prior) / (len(counts) + 1))


def _verdict(series: Series, key: str, now: datetime, s: Sensitivity, start: datetime,
             count: int, lam: float, counts: list[int], compared_with: str, *,
             recurs_after: datetime | None = None) -> Verdict:
    p = poisson_tail(count, lam)
    score = -math.log10(max(p, 1e-300))
    return Verdict(key=key, count=count, baseline=round(lam, 3),
                   growth=round(count / lam, 2), p_value=p, score=round(score, 2),
                   critical=count >= s.critical_count,
                   refs=series.refs_in(start, now), window_start=start,
                   history_windows=len(counts), compared_with=compared_with,
                   recurs_after=recurs_after)
