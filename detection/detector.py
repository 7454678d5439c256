"""The detector: observes analysed items, evaluates the keys they touched, explains alerts.

Keys: ``event:<id>`` (one event growing), ``place:<category>|<township>`` (complaints of a
category in one grid cell), ``scheme:<name>`` (a monitoring scheme's matches). State is in
memory and bounded by the baseline horizon; ``evaluate`` is a function of (now, what was
observed, what was remembered of earlier alerts), so the live scheduler, the backtest and
tests drive the same code.

After a key fires it cools down (``Sensitivity.cooldown``) unless it turns critical. An
alert marked handled (处置) ends its key's cool-down at the handling time: from then on the
key's items after that moment are a new wave, and one that reaches the key's minimum count
fires again as a recurrence (【处置后复发】) linked to the handled alert, with only the new
items as evidence (Alertmanager re-notifies an alert that resolved and fires again). An
alert only acknowledged keeps its cool-down. The backtest has no officer, so nothing there
is ever handled and its cool-downs are as they always were.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from yuqing.records import RECURRENCE_PREFIX, SHANGHAI, Alert, AlertItem, Severity, figure

from .growth import Sensitivity, Series, Verdict, evaluate, recurrence

RULES = {"event": "growing_event", "place": "growing_place_category",
         "scheme": "growing_scheme"}
# Two alerts sharing more than this share of items are one story told twice.
OVERLAP = 0.5
# Labels of a recurrence: the handled alert it follows, and when that was handled (the
# start of its wave, kept so that a restarted detector counts the same items).
RECURRENCE_OF, RECURS_AFTER = "recurrence_of", "recurs_after"


@dataclass(frozen=True)
class Observation:
    """What detection needs of one analysed item."""

    id: str
    title: str
    when: datetime
    url: str = ""
    complaint: bool = False
    negative: bool = False
    category: str | None = None
    townships: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    event_id: str | None = None
    keywords: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()
    source: str = ""


@dataclass
class _Fired:
    key: str
    at: datetime
    count: int
    refs: frozenset[str]
    critical: bool
    alert_id: str = ""
    handled_at: datetime | None = None
    # A recurrence: (the handled alert it follows, when that was handled).
    wave: tuple[str, datetime] | None = None
    # The key's usual rate when it first fired, before the issue: what a wave after the
    # handling is measured against (the windows since hold the first wave itself).
    usual: float = 0.0

    def handled_by(self, now: datetime) -> bool:
        return self.handled_at is not None and self.handled_at <= now


@dataclass
class Detector:
    sensitivity: Sensitivity = field(default_factory=Sensitivity)
    rules: frozenset[str] = frozenset(RULES)
    series: dict[str, Series] = field(default_factory=dict)
    items: dict[str, Observation] = field(default_factory=dict)
    fired: dict[str, _Fired] = field(default_factory=dict)
    recent: list[_Fired] = field(default_factory=list)
    event_titles: dict[str, str] = field(default_factory=dict)
    _pruned_at: datetime | None = None
    # The stream's first moment: baseline windows before it are unknown, not zero.
    started: datetime | None = None

    def keys_for(self, o: Observation) -> list[str]:
        keys: list[str] = []
        concern = o.complaint or o.negative
        if "event" in self.rules and o.event_id and concern:
            keys.append(f"event:{o.event_id}")
        if "place" in self.rules and o.complaint and o.category:
            keys += [f"place:{o.category}|{t}" for t in o.townships]
        if "scheme" in self.rules:
            keys += [f"scheme:{s}" for s in o.schemes]
        return keys

    def observe(self, o: Observation) -> list[str]:
        """Record an item; returns the keys whose counts it changed (idempotent by id)."""
        if o.id in self.items:
            return []
        self.items[o.id] = o
        if self.started is None or o.when < self.started:
            self.started = o.when
        if o.event_id and o.event_id not in self.event_titles:
            self.event_titles[o.event_id] = o.title
        keys = self.keys_for(o)
        for key in keys:
            self.series.setdefault(key, Series()).add(o.when, o.id)
        return keys

    def evaluate(self, now: datetime, keys: Iterable[str] | None = None,
                 sensitivity: Sensitivity | None = None) -> list[Alert]:
        s = sensitivity or self.sensitivity
        # Day types (workday, holiday) and alert ids read the calendar day and the hour:
        # Beijing's, whatever zone the caller's clock is in.
        now = now.astimezone(SHANGHAI)
        self._prune(now, s)
        verdicts: list[tuple[Verdict, str | None]] = []
        for key in sorted(set(keys) if keys is not None else self.series):
            series = self.series.get(key)
            if series is None:
                continue
            found = self._verdict(series, key, now, s)
            if found is not None and self._may_fire(found[0], now, s):
                verdicts.append(found)
        alerts: list[Alert] = []
        # A story that comes back after handling is told as that, not under another key.
        for v, after in sorted(verdicts, key=lambda f: (f[1] is None, -f[0].score,
                                                        f[0].key)):
            refs = frozenset(v.refs)
            if any(_overlap(refs, f.refs) > OVERLAP for f in self.recent
                   if now - f.at < s.cooldown and f.key != v.key):
                continue  # the same story already fired under another key
            alert = self._alert(v, now, after)
            wave = (after, v.recurs_after) if after and v.recurs_after else None
            fired = _Fired(v.key, now, v.count, refs, v.critical, alert.id, wave=wave,
                           usual=v.baseline)
            self.fired[v.key] = fired
            self.recent.append(fired)
            alerts.append(alert)
        return alerts

    def _verdict(self, series: Series, key: str, now: datetime, s: Sensitivity
                 ) -> tuple[Verdict, str | None] | None:
        """The key's verdict and, for a new wave after handling, the handled alert's id."""
        needs_history = not key.startswith("event:")
        last = self.fired.get(key)
        wave = None
        if last is not None:
            wave = (last.alert_id, last.handled_at) if last.handled_by(now) else last.wave
        if wave is None:
            v = evaluate(series, key, now, s, known_since=self.started,
                         needs_history=needs_history)
            return None if v is None else (v, None)
        # Items up to the handling were dealt with: only those after it count, also for
        # a recurrence's own step to critical.
        after, since = wave
        v = recurrence(series, key, now, s, since, last.usual, known_since=self.started,
                       needs_history=needs_history)
        return None if v is None else (v, after)

    def remember(self, alert: Alert, handled_at: datetime | None = None) -> None:
        """Seed the cool-down from an alert fired earlier (e.g. read back after a restart),
        so a restarted detector neither re-fires nor forgets what it already said.
        ``handled_at``: when an officer marked it handled, which ends the cool-down."""
        key = alert.labels.get("key")
        if not key:
            return
        wave = None
        if (after := alert.labels.get(RECURRENCE_OF)) and (
                since := alert.labels.get(RECURS_AFTER)):
            wave = (after, datetime.fromisoformat(since))
        fired = _Fired(key, alert.fired_at, alert.count, frozenset(alert.item_ids),
                       alert.severity is Severity.critical, alert.id, handled_at, wave,
                       alert.baseline)
        last = self.fired.get(key)
        if last is None or last.at <= fired.at:
            self.fired[key] = fired
        self.recent.append(fired)

    def _may_fire(self, v: Verdict, now: datetime, s: Sensitivity) -> bool:
        last = self.fired.get(v.key)
        if last is None or now - last.at >= s.cooldown or last.handled_by(now):
            return True
        return v.critical and not last.critical  # escalation within the cool-down

    def _prune(self, now: datetime, s: Sensitivity) -> None:
        # Once a simulated hour is enough: pruning is about memory, not correctness.
        if self._pruned_at and abs(now - self._pruned_at) < timedelta(hours=1):
            return
        self._pruned_at = now
        horizon = now - timedelta(days=s.baseline_days + 2) - s.window
        for series in self.series.values():
            series.prune(horizon)
        self.items = {k: o for k, o in self.items.items() if o.when >= horizon}
        self.series = {k: v for k, v in self.series.items() if v.times}
        self.recent = [f for f in self.recent if now - f.at < s.cooldown]

    def _alert(self, v: Verdict, now: datetime, after: str | None = None) -> Alert:
        """``after``: the handled alert this one is a recurrence of."""
        rule_kind, _, rest = v.key.partition(":")
        obs = [self.items[r] for r in v.refs if r in self.items]
        obs.sort(key=lambda o: o.when)
        keywords = [w for w, _ in Counter(k for o in obs for k in o.keywords).most_common(8)]
        places = list(dict.fromkeys(p for o in obs for p in (*o.townships, *o.places)))
        cats = Counter(o.category for o in obs if o.category)
        category = cats.most_common(1)[0][0] if cats else None
        labels = {"rule": RULES[rule_kind], "severity": "", "key": v.key}
        if rule_kind == "place":
            category, _, township = rest.partition("|")
            labels.update({"category": category, "township": township})
            subject = f"{township}「{category}」类诉求"
        elif rule_kind == "scheme":
            labels["scheme"] = rest
            subject = f"监测方案「{rest}」命中"
        else:
            labels["event"] = rest
            subject = f"事件「{self.event_titles.get(rest, rest)[:30]}」"
            towns = [t for o in obs for t in o.townships]
            if towns:  # the grid cell: a village in ``places`` would route to nobody
                labels["township"] = Counter(towns).most_common(1)[0][0]
            if category:
                labels["category"] = category
        severity = Severity.critical if v.critical else Severity.warning
        labels["severity"] = severity.value
        hours = int(self.sensitivity.window.total_seconds() // 3600)
        if after and v.recurs_after:
            handled = v.recurs_after.astimezone(SHANGHAI)
            labels.update({RECURRENCE_OF: after, RECURS_AFTER: handled.isoformat()})
            title = f"{RECURRENCE_PREFIX}{subject}处置后又出现{v.count}条"
            summary = (f"{subject}此前的预警 {after} 已于{handled:%Y-%m-%d %H:%M}处置，"
                       f"处置后（近{hours}小时内）又出现{v.count}条（只列这些新条目），"
                       f"同类时段基线{figure(v.baseline)}条。")
        else:
            title = f"{subject}快速增长：{hours}小时内{v.count}条"
            summary = (f"{subject}在{hours}小时内出现{v.count}条，同类时段基线"
                       f"{figure(v.baseline)}条，增长{figure(v.growth)}倍"
                       f"（显著性 p={v.p_value:.1e}）。")
        if "+" in v.compared_with:
            summary += "此前节假日无可比记录，基线含周末。"
        if keywords:
            summary += f"关键词：{'、'.join(keywords[:5])}。"
        # A warning that turns critical within the hour is a new alert, not an update of
        # the warning: routing announces it and it needs its own acknowledgement.
        upgrade = "|critical" if v.critical else ""
        # A recurrence may fire within the hour of the alert it follows: its own id.
        again = f"|after:{after}" if after else ""
        alert_id = hashlib.sha1(
            f"{v.key}|{now:%Y-%m-%dT%H}{upgrade}{again}".encode()).hexdigest()[:20]
        return Alert(
            id=alert_id, rule=labels["rule"], severity=severity, title=title, summary=summary,
            fired_at=now, labels=labels, item_ids=[o.id for o in obs],
            urls=[o.url for o in obs if o.url], keywords=keywords, places=places,
            category=category, count=v.count, baseline=v.baseline, score=v.score,
            top_items=[AlertItem(title=o.title, url=o.url, published_at=o.when,
                                 source_id=o.source or None) for o in reversed(obs[-10:])],
            first_seen=obs[0].when if obs else None, last_seen=obs[-1].when if obs else None,
        )


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
