"""Routing and dispatch planning as pure functions of (alerts, now, state).

``plan`` decides which notifications are due *now*; it performs no I/O. The caller stores
the returned group state together with the notifications (one SQLite transaction in
``alerts.outbox``), so a restart resumes exactly where it stopped. ``dry_run`` answers
"who would get this alert" for ``yuqing replay`` without touching any state.

Timing follows Alertmanager: a new group waits ``group_wait`` before its first
notification (so alerts that fire together arrive together); new alerts in a group that
was already notified wait until ``group_interval`` after the last notification; an
unchanged, still-firing group is re-sent after ``repeat_interval``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from yuqing.records import Alert, AlertStatus, Notification

from .config import AlertingConfig, Route
from .matchers import Matcher, alert_labels, matches_all, parse_matcher
from .message import render
from .silences import Silence

DEFAULT_GROUP_WAIT = timedelta(seconds=30)
DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
DEFAULT_REPEAT_INTERVAL = timedelta(hours=4)

# name of a time interval, now -> is it in effect? (watch.intervals.interval_check builds
# it from the configured intervals and the duty calendar); None = not defined, ignored.
IntervalCheck = Callable[[str, datetime], "bool | None"]


@dataclass(frozen=True)
class ResolvedRoute:
    """A route with every inherited value filled in; ``path`` is e.g. ``root.1.0``."""

    path: str
    receiver: str
    matchers: tuple[Matcher, ...]
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    continue_: bool
    active_time_intervals: tuple[str, ...]
    mute_time_intervals: tuple[str, ...]
    children: tuple[ResolvedRoute, ...] = ()


def resolve_routes(route: Route, parent: ResolvedRoute | None = None,
                   path: str = "root") -> ResolvedRoute:
    def pick(own, inherited, default):
        return own if own is not None else (inherited if parent is not None else default)

    node = ResolvedRoute(
        path=path,
        receiver=route.receiver or (parent.receiver if parent else ""),
        matchers=tuple(parse_matcher(t) for t in route.matchers),
        group_by=tuple(route.group_by if route.group_by is not None
                       else (parent.group_by if parent else ())),
        group_wait=pick(route.group_wait, parent and parent.group_wait, DEFAULT_GROUP_WAIT),
        group_interval=pick(route.group_interval, parent and parent.group_interval,
                            DEFAULT_GROUP_INTERVAL),
        repeat_interval=pick(route.repeat_interval, parent and parent.repeat_interval,
                             DEFAULT_REPEAT_INTERVAL),
        continue_=route.continue_,
        # Not inherited, as in Alertmanager: a child inheriting its parent's night mute
        # could not be un-muted (an empty list reads as "unset"), so a critical route
        # under a muted parent stayed silent at 03:00.
        active_time_intervals=tuple(route.active_time_intervals),
        mute_time_intervals=tuple(route.mute_time_intervals),
    )
    children = tuple(resolve_routes(c, node, f"{path}.{i}") for i, c in enumerate(route.routes))
    return replace(node, children=children)


def match_routes(route: ResolvedRoute, labels: Mapping[str, str]) -> list[ResolvedRoute]:
    """The deepest matching routes, Alertmanager-style: the first matching child wins unless
    it has ``continue``; a route none of whose children match handles the alert itself."""
    if not matches_all(route.matchers, labels):
        return []
    found: list[ResolvedRoute] = []
    for child in route.children:
        hits = match_routes(child, labels)
        found.extend(hits)
        if hits and not child.continue_:
            break
    return found or [route]


# Outbox group state stored before keys were escaped carries this prefix (alerts.outbox
# renames it on upgrade), so only that state is ever looked up by a legacy key.
LEGACY_PREFIX = "legacy:"
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _group_names(route: ResolvedRoute, labels: Mapping[str, str]) -> list[str]:
    return sorted(labels) if "..." in route.group_by else sorted(route.group_by)


def group_key(route: ResolvedRoute, labels: Mapping[str, str]) -> str:
    """``root.1.0:{rule="growing",township="河口镇"}``. Values (and unusual names) are
    JSON strings, so a value holding ``",township="`` cannot pass for another label set;
    plain values give the same key as before escaping existed."""
    def name(n: str) -> str:
        return n if _PLAIN_NAME.fullmatch(n) else json.dumps(n, ensure_ascii=False)

    inner = ",".join(f"{name(n)}={json.dumps(labels.get(n, ''), ensure_ascii=False)}"
                     for n in _group_names(route, labels))
    return f"{route.path}:{{{inner}}}"


def legacy_group_key(route: ResolvedRoute, labels: Mapping[str, str]) -> str:
    """The key as it was built before escaping (ambiguous): only to find old state."""
    inner = ",".join(f'{n}="{labels.get(n, "")}"' for n in _group_names(route, labels))
    return f"{LEGACY_PREFIX}{route.path}:{{{inner}}}"


# -- muting ------------------------------------------------------------------------------

def mute_reasons(cfg: AlertingConfig, alerts: Sequence[Alert], now: datetime,
                 silences: Iterable[Silence]) -> dict[str, str]:
    """alert id -> why it is muted (``silenced by <id>`` / ``inhibited by <alert id>``)."""
    labels = {a.id: alert_labels(a) for a in alerts}
    active = [s for s in silences if s.active(now)]
    out: dict[str, str] = {}
    for a in alerts:
        for s in active:
            if s.mutes(labels[a.id], now):
                out[a.id] = f"silenced by {s.id} ({s.created_by}: {s.comment})"
                break
    for rule in cfg.inhibit_rules:
        src_m = [parse_matcher(t) for t in rule.source_matchers]
        tgt_m = [parse_matcher(t) for t in rule.target_matchers]
        # Silenced alerts still inhibit, as in Alertmanager: muting a cause must not
        # un-mute its consequences. Resolved ones do not (the escalation job passes alerts
        # of every status: a resolved critical stopped the escalation of a live warning).
        sources = [a for a in alerts if a.status == AlertStatus.firing
                   and matches_all(src_m, labels[a.id])]
        source_ids = {a.id for a in sources}
        for t in alerts:
            if t.id in out or not matches_all(tgt_m, labels[t.id]):
                continue
            for s in sources:
                # As in Alertmanager: alerts that match both sides never inhibit each
                # other, or two such alerts would silence each other and nobody be told.
                if t.id in source_ids and matches_all(tgt_m, labels[s.id]):
                    continue
                if s.id != t.id and all(labels[s.id].get(n, "") == labels[t.id].get(n, "")
                                        for n in rule.equal):
                    out[t.id] = f"inhibited by {s.id}"
                    break
    return out


# -- planning ----------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupState:
    """What the notification log remembers about one (receiver, group)."""

    receiver: str
    group_key: str
    created_at: datetime
    last_sent_at: datetime | None = None
    last_alert_ids: tuple[str, ...] = ()
    sends: int = 0


StateKey = tuple[str, str]  # (receiver, group key)
Kind = Literal["first", "update", "repeat"]


@dataclass(frozen=True)
class Planned:
    notification: Notification
    group_key: str
    kind: Kind
    alerts: tuple[Alert, ...]


@dataclass
class Plan:
    notifications: list[Planned] = field(default_factory=list)
    state: dict[StateKey, GroupState] = field(default_factory=dict)
    muted: dict[str, str] = field(default_factory=dict)


def notification_id(receiver: str, key: str, alert_ids: Sequence[str], slot: str) -> str:
    """Stable id: the same decision always yields the same id, so re-planning after a crash
    inserts nothing new (the outbox's primary key)."""
    raw = "\x1f".join([receiver, key, ",".join(sorted(alert_ids)), slot])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def _firing(alerts: Iterable[Alert]) -> list[Alert]:
    seen: dict[str, Alert] = {}
    for a in alerts:
        if a.status == AlertStatus.firing:
            seen[a.id] = a
    return list(seen.values())


def _groups(root: ResolvedRoute, alerts: Sequence[Alert]
            ) -> dict[StateKey, tuple[ResolvedRoute, str, list[Alert]]]:
    """(receiver, group key) -> (route, legacy key, members)."""
    groups: dict[StateKey, tuple[ResolvedRoute, str, list[Alert]]] = {}
    for a in alerts:
        labels = alert_labels(a)
        for r in match_routes(root, labels):
            k = (r.receiver, group_key(r, labels))
            groups.setdefault(k, (r, legacy_group_key(r, labels), []))[2].append(a)
    return groups


def _muted_by_time(route: ResolvedRoute, now: datetime, check: IntervalCheck | None) -> bool:
    if check is None:  # no evaluator given (dry runs, old callers): intervals ignored
        return False
    if any(check(n, now) for n in route.mute_time_intervals):
        return True
    active = [check(n, now) for n in route.active_time_intervals]
    active = [a for a in active if a is not None]
    return bool(active) and not any(active)


def plan(cfg: AlertingConfig, alerts: Iterable[Alert], now: datetime,
         state: Mapping[StateKey, GroupState], silences: Iterable[Silence] = (),
         intervals: IntervalCheck | None = None) -> Plan:
    """Notifications due at ``now`` and the notification log that results.

    Groups whose alerts all resolved (or got muted) are dropped from the state, so when
    they fire again they start over with ``group_wait``.
    """
    firing = _firing(alerts)
    out = Plan(muted=mute_reasons(cfg, firing, now, silences))
    live = [a for a in firing if a.id not in out.muted]
    root = resolve_routes(cfg.route)
    for k, (route, legacy, members) in sorted(_groups(root, live).items()):
        receiver, key = k
        ids = tuple(sorted(a.id for a in members))
        # State from before the upgrade: the group goes on where it was (not "first"
        # again), under its new key from now on.
        prev = state.get(k) or state.get((receiver, legacy))
        prev = (replace(prev, group_key=key) if prev is not None else
                GroupState(receiver=receiver, group_key=key, created_at=now))
        kind: Kind | None = None
        if prev.last_sent_at is None:
            if now >= prev.created_at + route.group_wait:
                kind = "first"
        elif set(ids) - set(prev.last_alert_ids):
            if now >= prev.last_sent_at + route.group_interval:
                kind = "update"
        elif now >= prev.last_sent_at + route.repeat_interval:
            kind = "repeat"
        if kind is not None and _muted_by_time(route, now, intervals):
            kind = None
        if kind is None:
            out.state[k] = prev
            continue
        slot = f"{prev.created_at.isoformat()}#{prev.sends}"
        ordered = tuple(sorted(members, key=lambda a: (-a.score, a.id)))
        title, body = render(ordered, kind=kind, console_url=cfg.console_url)
        note = Notification(id=notification_id(receiver, key, ids, slot), receiver=receiver,
                            alert_ids=list(ids), title=title, body=body, created_at=now)
        out.notifications.append(Planned(note, key, kind, ordered))
        out.state[k] = replace(prev, last_sent_at=now, last_alert_ids=ids,
                               sends=prev.sends + 1)
    return out


@dataclass(frozen=True)
class RouteDecision:
    alert_id: str
    receivers: tuple[str, ...]
    group_keys: tuple[str, ...]
    muted_by: str | None = None


def dry_run(cfg: AlertingConfig, alerts: Iterable[Alert], now: datetime,
            silences: Iterable[Silence] = ()) -> list[RouteDecision]:
    """Which receivers would get each firing alert, ignoring timing; sends nothing.
    A muted alert lists the receivers it would have reached and why it is muted."""
    firing = _firing(alerts)
    muted = mute_reasons(cfg, firing, now, silences)
    root = resolve_routes(cfg.route)
    out = []
    for a in firing:
        labels = alert_labels(a)
        routes = match_routes(root, labels)
        out.append(RouteDecision(a.id, tuple(dict.fromkeys(r.receiver for r in routes)),
                                 tuple(group_key(r, labels) for r in routes), muted.get(a.id)))
    return out
