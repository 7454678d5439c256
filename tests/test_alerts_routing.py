"""Routing from YAML: which receivers get which alerts; grouping, inhibition, silences;
group_wait / group_interval / repeat_interval with a controllable clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import yaml

from alerts.config import AlertingConfig
from alerts.message import render, size
from alerts.routing import dry_run, mute_reasons, plan
from alerts.silences import Silence
from yuqing.records import SHANGHAI, Alert, AlertItem, AlertStatus

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI)

ROUTES = yaml.safe_load("""
receivers:
  - {name: duty}
  - {name: hekou-leader}
  - {name: chengguan-leader}
  - {name: critical-sms}
  - {name: water-bureau}
route:
  receiver: duty
  group_by: [rule, township]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="critical"']
      receiver: critical-sms
      continue: true
    - matchers: ['township=~"河口镇|城关镇"', 'category!="其他"']
      routes:
        - matchers: ['township="河口镇"']
          receiver: hekou-leader
        - matchers: ['township="城关镇"']
          receiver: chengguan-leader
    - matchers: ['category="供水"']
      receiver: water-bureau
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [township]
""")


def alert(aid: str, *, severity: str = "warning", township: str = "", category: str | None = None,
          rule: str = "growing", status: AlertStatus = AlertStatus.firing, **kw) -> Alert:
    labels = {"township": township} if township else {}
    return Alert(id=aid, rule=rule, severity=severity, title=f"{township}{category or ''}投诉增长",
                 summary="", fired_at=T0, labels=labels, category=category, status=status,
                 **kw)


CFG = AlertingConfig.model_validate(ROUTES)

TABLE = [
    ("warning in 河口镇 → leader only", alert("a", township="河口镇", category="供水"),
     ("hekou-leader",)),
    ("critical → sms, then continue to the township", alert("b", severity="critical",
                                                             township="城关镇"),
     ("critical-sms", "chengguan-leader")),
    ("category 其他 excluded from leaders; no other match → root", alert(
        "c", township="河口镇", category="其他"), ("duty",)),
    ("water elsewhere → water bureau", alert("d", township="青石乡", category="供水"),
     ("water-bureau",)),
    ("nothing matches → root receiver", alert("e", township="青石乡"), ("duty",)),
    ("regex is anchored: 河口 is not 河口镇", alert("f", township="河口"), ("duty",)),
]


@pytest.mark.parametrize(("a", "receivers"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE])
def test_route_table(a, receivers):
    [decision] = dry_run(CFG, [a], T0)
    assert decision.receivers == receivers
    assert decision.muted_by is None


def test_group_by_puts_alerts_of_one_township_together():
    alerts = [alert("a1", township="河口镇"), alert("a2", township="河口镇"),
              alert("b1", township="城关镇"), alert("r", township="河口镇",
                                                  status=AlertStatus.resolved)]
    state = plan(CFG, alerts, T0, {}).state
    p = plan(CFG, alerts, T0 + timedelta(seconds=30), state)
    got = {(n.notification.receiver, tuple(n.notification.alert_ids)) for n in p.notifications}
    assert got == {("hekou-leader", ("a1", "a2")), ("chengguan-leader", ("b1",))}
    keys = {n.group_key for n in p.notifications}
    assert 'root.1.0:{rule="growing",township="河口镇"}' in keys


def test_inhibition_mutes_warning_in_same_township_only():
    crit = alert("crit", severity="critical", township="河口镇")
    warn_same = alert("w1", township="河口镇")
    warn_other = alert("w2", township="城关镇")
    decisions = {d.alert_id: d for d in dry_run(CFG, [crit, warn_same, warn_other], T0)}
    assert decisions["w1"].muted_by == "inhibited by crit"
    assert decisions["w2"].muted_by is None and decisions["crit"].muted_by is None
    # Once the critical alert resolves, the warning is no longer inhibited.
    resolved = crit.model_copy(update={"status": AlertStatus.resolved})
    assert all(d.muted_by is None for d in dry_run(CFG, [resolved, warn_same], T0))
    # The escalation job asks about alerts of every status (those with messages pending).
    assert mute_reasons(CFG, [resolved, warn_same], T0, []) == {}


def test_alerts_matching_both_sides_of_an_inhibit_rule_do_not_silence_each_other():
    # Overlapping sides: every growing alert matches both, so without Alertmanager's
    # exception the two townships' alerts would mute each other and neither be sent.
    cfg = AlertingConfig.model_validate({**ROUTES, "inhibit_rules": [
        {"source_matchers": ['rule="growing"'], "target_matchers": ['rule="growing"'],
         "equal": ["rule"]},
        {"source_matchers": ['rule="growing"'], "target_matchers": ['rule="surge"'],
         "equal": ["township"]}]})
    a = alert("a", township="河口镇")
    b = alert("b", township="城关镇")
    surge = alert("s", township="河口镇", rule="surge")
    decisions = {d.alert_id: d.muted_by for d in dry_run(cfg, [a, b, surge], T0)}
    assert decisions == {"a": None, "b": None, "s": "inhibited by a"}


def test_silence_suppresses_and_expired_silence_does_not():
    a = alert("a", township="河口镇", category="供水")
    s = Silence.create(['township="河口镇"', 'rule=~"grow.*"'], starts_at=T0,
                       ends_at=T0 + timedelta(hours=1), created_by="张三",
                       comment="水厂已在检修", now=T0)
    [d] = dry_run(CFG, [a], T0 + timedelta(minutes=10), [s])
    assert d.muted_by and d.muted_by.startswith(f"silenced by {s.id}")
    assert d.receivers == ("hekou-leader",)  # a dry run still says who would have got it
    [d] = dry_run(CFG, [a], T0 + timedelta(hours=1), [s])
    assert d.muted_by is None
    # Muted alerts produce no notification; after expiry the group starts with group_wait.
    p = plan(CFG, [a], T0, {}, [s])
    p = plan(CFG, [a], T0 + timedelta(minutes=30), p.state, [s])
    assert not p.notifications and not p.state
    p = plan(CFG, [a], T0 + timedelta(hours=1), p.state, [s])
    p = plan(CFG, [a], T0 + timedelta(hours=1, seconds=30), p.state, [s])
    assert [n.notification.receiver for n in p.notifications] == ["hekou-leader"]


def test_silence_requires_a_comment():
    with pytest.raises(ValueError, match="comment"):
        Silence.create(['township="河口镇"'], starts_at=T0, ends_at=T0 + timedelta(hours=1),
                       created_by="张三", comment="  ", now=T0)


def run_clock(alerts_at, until: timedelta, step=timedelta(seconds=10)):
    """Drive plan() every ``step``; alerts_at(t) gives the firing alerts at offset t."""
    state: dict = {}
    sent = []
    t = timedelta(0)
    while t <= until:
        p = plan(CFG, alerts_at(t), T0 + t, state)
        state = p.state
        sent += [(t, n.kind, tuple(n.notification.alert_ids), n.notification.id)
                 for n in p.notifications]
        t += step
    return sent


def test_group_wait_group_interval_repeat_interval():
    a1 = alert("a1", township="河口镇")
    a2 = alert("a2", township="河口镇")

    def firing(t):
        return [a1] if t < timedelta(minutes=2) else [a1, a2]

    sent = run_clock(firing, timedelta(hours=9))
    assert [(t, kind, ids) for t, kind, ids, _ in sent] == [
        (timedelta(seconds=30), "first", ("a1",)),        # group_wait
        (timedelta(minutes=5, seconds=30), "update", ("a1", "a2")),  # group_interval
        (timedelta(hours=4, minutes=5, seconds=30), "repeat", ("a1", "a2")),
        (timedelta(hours=8, minutes=5, seconds=30), "repeat", ("a1", "a2")),
    ]
    assert len({nid for *_, nid in sent}) == 4  # each send slot has its own id


def test_resolved_group_starts_over_and_ids_are_stable():
    a = alert("a", township="河口镇")

    def firing(t):
        return [a] if t < timedelta(minutes=10) or t >= timedelta(minutes=20) else []

    sent = run_clock(firing, timedelta(minutes=30))
    assert [(t, kind) for t, kind, *_ in sent] == [
        (timedelta(seconds=30), "first"), (timedelta(minutes=20, seconds=30), "first")]
    assert sent[0][3] != sent[1][3]  # a new episode is a new notification
    assert sent == run_clock(firing, timedelta(minutes=30))  # deterministic


def test_message_fits_the_channel_limit_without_cutting_characters():
    items = [AlertItem(title=f"河口镇自来水发黄第{i}帖，已经三天了", url=f"http://bbs.example/t/{i}")
             for i in range(40)]
    a = alert("a", township="河口镇", category="供水", count=40, baseline=5.0,
              keywords=["自来水", "发黄"], places=["河口镇", "河口村"], top_items=items,
              first_seen=T0 - timedelta(hours=6), last_seen=T0)
    title, body = render([a], limit=2000)
    assert size(title) + size(body) <= 2000
    assert "增长 +700%（8 倍）" in body and "关键词：自来水、发黄" in body
    assert "相关条目（共 40 条）" in body and "……另有" in body
    shown = body.count("http://bbs.example/t/")
    assert f"……另有 {40 - shown} 条未列出" in body
    tiny_title, tiny = render([a], limit=300)
    assert size(tiny_title) + size(tiny) <= 300 and tiny.endswith("…（已截断）")


GROUP_BY_PLACE = AlertingConfig.model_validate({
    "receivers": [{"name": "duty"}],
    "route": {"receiver": "duty", "group_by": ["category", "township"], "group_wait": "30s"}})
# Label values are free text (a category or scheme name someone typed): joined as they
# are, these two different label sets once made the same group key.
LOOKALIKES = [alert("x1", category='供水",township="河口镇', township=""),
              alert("x2", category="供水", township='河口镇",township="')]


def test_group_keys_of_different_label_sets_differ():
    state = plan(GROUP_BY_PLACE, LOOKALIKES, T0, {}).state
    p = plan(GROUP_BY_PLACE, LOOKALIKES, T0 + timedelta(seconds=30), state)
    assert sorted(tuple(n.notification.alert_ids) for n in p.notifications) == [
        ("x1",), ("x2",)]
    assert len({n.group_key for n in p.notifications}) == 2
    # And the one sent group does not count as the other having been told.
    later = plan(GROUP_BY_PLACE, [LOOKALIKES[1]], T0, {}).state
    sent = plan(GROUP_BY_PLACE, [LOOKALIKES[1]], T0 + timedelta(seconds=30), later).state
    p = plan(GROUP_BY_PLACE, LOOKALIKES, T0 + timedelta(minutes=1), sent)
    assert [n.notification.alert_ids for n in p.notifications] == []  # x1 waits its own
    p = plan(GROUP_BY_PLACE, LOOKALIKES, T0 + timedelta(minutes=1, seconds=30), p.state)
    assert [(n.kind, n.notification.alert_ids) for n in p.notifications] == [
        ("first", ["x1"])]
