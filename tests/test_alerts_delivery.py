"""Delivery through apprise to a real local webhook: retries, fallback, crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hooks import Hook

from alerts.config import AlertingConfig
from alerts.delivery import deliver_due
from alerts.dispatch import dispatch
from alerts.outbox import Outbox
from yuqing.records import SHANGHAI, Alert, AlertItem, Severity

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def receivers():
    made: list[Hook] = []

    def make(**kw) -> Hook:
        r = Hook(**kw)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


def config(max_attempts: int = 5, timeout: float = 5.0) -> AlertingConfig:
    return AlertingConfig.model_validate({
        "receivers": [
            {"name": "duty", "fallback": "backup",
             "channels": [{"type": "webhook", "url_env": "YQ_TEST_HOOK"}]},
            {"name": "backup", "channels": [{"type": "webhook", "url_env": "YQ_TEST_BACKUP"}]},
        ],
        "route": {"receiver": "duty", "group_by": ["township"], "group_wait": "30s"},
        "delivery": {"max_attempts": max_attempts, "backoff_initial": "30s",
                     "backoff_max": "10m", "timeout_seconds": timeout},
    })


def water_alert() -> Alert:
    return Alert(id="hekou-water", rule="growing", severity="critical",
                 title="河口镇自来水发黄投诉增长", summary="6 小时内 30 条投诉", fired_at=T0,
                 labels={"township": "河口镇"}, count=30, baseline=4.0, category="供水",
                 keywords=["自来水", "发黄"], places=["河口镇"],
                 top_items=[AlertItem(title="自来水又黄了", url="http://bbs.example/t/1")])


def enqueue(cfg: AlertingConfig, outbox: Outbox) -> str:
    dispatch(cfg, [water_alert()], T0, outbox, deliver=False)
    result = dispatch(cfg, [water_alert()], T0 + timedelta(seconds=30), outbox, deliver=False)
    assert result.enqueued == 1
    return result.plan.notifications[0].notification.id


def test_receiver_failing_first_times_gets_it_exactly_once(tmp_path, receivers, monkeypatch):
    hook = receivers(fail_first=2)
    monkeypatch.setenv("YQ_TEST_HOOK", hook.url("/hook"))
    cfg = config()
    outbox = Outbox(tmp_path / "state" / "outbox.sqlite")
    nid = enqueue(cfg, outbox)
    now = T0 + timedelta(seconds=30)
    reports = []
    for _ in range(40):  # ten minutes of scheduler ticks every 15 s
        reports.append(deliver_due(cfg, outbox, now))
        now += timedelta(seconds=15)
    assert len(hook.seen) == 3 and len(hook.accepted) == 1
    assert sum(r.failed_attempts for r in reports) == 2 and sum(r.sent for r in reports) == 1
    row = outbox.get(nid)
    assert row.status == "sent" and row.attempts == 3
    msg = hook.accepted[0]
    assert msg["title"].startswith("【舆情严重】河口镇自来水发黄投诉增长")
    assert "数量：30 条，基线 4 条" in msg["message"]
    assert "自来水又黄了" in msg["message"] and "http://bbs.example/t/1" in msg["message"]
    # Re-planning the same decision (e.g. after a restart) inserts nothing new.
    again = dispatch(cfg, [water_alert()], T0 + timedelta(seconds=30), outbox, deliver=False)
    assert again.enqueued == 0


def test_receiver_down_for_good_goes_to_fallback(tmp_path, receivers, monkeypatch):
    primary, backup = receivers(down=True), receivers()
    monkeypatch.setenv("YQ_TEST_HOOK", primary.url("/hook"))
    monkeypatch.setenv("YQ_TEST_BACKUP", backup.url("/hook"))
    cfg = config(max_attempts=3)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    nid = enqueue(cfg, outbox)
    now = T0 + timedelta(seconds=30)
    for _ in range(60):
        deliver_due(cfg, outbox, now)
        now += timedelta(seconds=15)
    assert len(primary.seen) == 3 and not primary.accepted
    assert len(backup.accepted) == 1
    row = outbox.get(nid)
    assert row.status == "failed_over" and row.fallback_to == "backup"
    assert "HTTP" in (row.last_error or "") or "500" in (row.last_error or "")
    [fb] = [r for r in outbox.rows() if r.fallback_of == nid]
    assert fb.receiver == "backup" and fb.status == "sent"


def test_a_receiver_without_fallback_is_retried_all_night_without_overflow(tmp_path, receivers,
                                                                           monkeypatch):
    # No fallback: retried until it works. The 43rd backoff once overflowed timedelta
    # and every later delivery run (and the detection cycle with it) crashed.
    down = receivers(down=True)
    monkeypatch.setenv("YQ_TEST_HOOK", down.url("/hook"))
    cfg = AlertingConfig.model_validate({
        "receivers": [{"name": "duty", "channels": [{"type": "webhook",
                                                     "url_env": "YQ_TEST_HOOK"}]}],
        "route": {"receiver": "duty", "group_by": ["township"], "group_wait": "30s"},
        "delivery": {"backoff_initial": "30s", "backoff_max": "10m"}})
    outbox = Outbox(tmp_path / "outbox.sqlite")
    nid = enqueue(cfg, outbox)
    now = T0 + timedelta(seconds=30)
    for _ in range(50):
        deliver_due(cfg, outbox, now)
        now += timedelta(minutes=10)
    row = outbox.get(nid)
    assert row.attempts == 50 and row.status == "pending" and len(down.seen) == 50
    down.down = False
    assert deliver_due(cfg, outbox, now).sent == 1 and outbox.get(nid).status == "sent"


def test_missing_secret_is_a_failed_attempt_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("YQ_TEST_HOOK", raising=False)
    cfg = AlertingConfig.model_validate({
        "receivers": [{"name": "duty", "channels": [{"type": "webhook",
                                                     "url_env": "YQ_TEST_HOOK"}]}],
        "route": {"receiver": "duty"}})
    outbox = Outbox(tmp_path / "outbox.sqlite")
    nid = enqueue(cfg, outbox)
    report = deliver_due(cfg, outbox, T0 + timedelta(seconds=30))
    assert report.failed_attempts == 1
    row = outbox.get(nid)
    assert row.status == "pending"  # never dropped: retried later
    assert "YQ_TEST_HOOK is not set" in row.last_error


DELIVER_SCRIPT = textwrap.dedent("""
    import sys
    from datetime import datetime
    from alerts.config import AlertingConfig
    from alerts.delivery import deliver_due
    from alerts.outbox import Outbox
    import json
    cfg = AlertingConfig.model_validate(json.loads(sys.argv[2]))
    deliver_due(cfg, Outbox(sys.argv[1]), datetime.fromisoformat(sys.argv[3]))
""")


def test_killed_mid_delivery_is_delivered_after_restart_not_twice(tmp_path, receivers,
                                                                  monkeypatch):
    hook = receivers(slow=True)
    monkeypatch.setenv("YQ_TEST_HOOK", hook.url("/hook"))
    cfg = config(timeout=30.0)
    db = tmp_path / "outbox.sqlite"
    outbox = Outbox(db)
    nid = enqueue(cfg, outbox)
    now = T0 + timedelta(seconds=30)
    proc = subprocess.Popen(
        [sys.executable, "-c", DELIVER_SCRIPT, str(db), cfg.model_dump_json(by_alias=True),
         now.isoformat()], cwd=ROOT, env={**os.environ})
    deadline = time.monotonic() + 30
    while not hook.seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hook.seen, "the delivery subprocess never reached the receiver"
    assert outbox.get(nid).status == "sending"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    hook.slow = False
    hook.release.set()

    report = deliver_due(cfg, Outbox(db), now + timedelta(seconds=1))
    assert report.recovered == 1 and report.sent == 1
    assert len(hook.accepted) == 1
    assert hook.accepted[0]["title"].startswith("[可能重复] ")
    row = outbox.get(nid)
    assert row.status == "sent" and row.attempts == 2 and row.maybe_duplicate
    # Another restart and delivery pass: nothing more goes out.
    deliver_due(cfg, Outbox(db), now + timedelta(hours=1))
    assert len(hook.accepted) == 1 and len(hook.seen) == 2


def test_every_channel_type_builds_a_url_apprise_accepts(monkeypatch):
    import apprise

    from alerts.channels import apprise_url

    monkeypatch.setenv("DT_TOKEN", "abcdef0123456789")
    monkeypatch.setenv("DT_SECRET", "SEC0123abcd")
    monkeypatch.setenv("WECOM_KEY", "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa")
    monkeypatch.setenv("FEISHU_TOKEN", "0b0c1a1e-1234-4d5f-8a9b-abcdef012345")
    monkeypatch.setenv("SMTP_PW", "p@ss:word/中")
    monkeypatch.setenv("HOOK", "https://hooks.example.cn/yq?team=duty")
    cfg = AlertingConfig.model_validate({"receivers": [{"name": "r", "channels": [
        {"type": "dingtalk", "token_env": "DT_TOKEN", "secret_env": "DT_SECRET"},
        {"type": "wecom", "key_env": "WECOM_KEY"},
        {"type": "feishu", "token_env": "FEISHU_TOKEN"},
        {"type": "lark", "token_env": "FEISHU_TOKEN"},
        {"type": "email", "host": "smtp.example.cn", "port": 465, "user": "yq",
         "password_env": "SMTP_PW", "sender": "yq@example.cn", "to": ["a@example.cn"]},
        {"type": "webhook", "url_env": "HOOK"}]}], "route": {"receiver": "r"}})
    urls = [apprise_url(ch) for ch in cfg.receivers[0].channels]
    assert [u.split("://")[0] for u in urls] == ["dingtalk", "wecombot", "feishu", "lark",
                                                "mailtos", "jsons"]
    for u in urls:
        assert apprise.Apprise().add(u), u
    assert urls[5].startswith("jsons://hooks.example.cn/yq?team=duty&")


def test_an_outbox_from_before_escaped_group_keys_is_carried_over(tmp_path, receivers,
                                                                  monkeypatch):
    # An outbox written before group keys escaped their values: its groups were notified
    # at T0+30s, and one notification was still waiting to go out when the new version
    # started. Nothing in flight is lost, and no group is announced as new a second time.
    import json
    import sqlite3

    from alerts.outbox import SCHEMA

    hook = receivers()
    monkeypatch.setenv("YQ_TEST_HOOK", hook.url("/hook"))
    cfg = config()
    quoted = water_alert().model_copy(update={"id": "quoted-town",
                                              "labels": {"township": '城关镇"北区'}})
    groups = {"hekou-water": 'root:{township="河口镇"}',
              "quoted-town": 'root:{township="城关镇"北区"}'}  # the old, unescaped form
    path = tmp_path / "outbox.sqlite"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA)
    sent_at = (T0 + timedelta(seconds=30)).timestamp()
    for (aid, key), status in zip(groups.items(), ("sent", "pending"), strict=True):
        old.execute("INSERT INTO groups VALUES (?,?,?,?,?,?)",
                    ("duty", key, T0.timestamp(), sent_at, json.dumps([aid]), 1))
        old.execute("INSERT INTO notifications (id, receiver, group_key, kind, alert_ids, "
                    "alerts, title, body, created_at, status, next_attempt_at, updated_at) "
                    "VALUES (?,?,?,'first',?,'[]','t','b',?,?,?,?)",
                    (f"n-{aid}", "duty", key, json.dumps([aid]), sent_at, status, sent_at,
                     sent_at))
    old.commit()
    old.close()

    outbox = Outbox(path)
    now = T0 + timedelta(minutes=2)
    r = dispatch(cfg, [water_alert(), quoted], now, outbox)
    assert r.enqueued == 0  # both groups were told already
    assert len(hook.accepted) == 1  # the one in flight, once
    assert outbox.get("n-quoted-town").status == "sent"
    assert dispatch(cfg, [water_alert(), quoted], now + timedelta(minutes=1), outbox).enqueued == 0
    outbox.close()
    outbox = Outbox(path)  # a second start migrates nothing again
    later = T0 + timedelta(seconds=30) + timedelta(hours=4)
    r = dispatch(cfg, [water_alert(), quoted], later, outbox)
    assert sorted((p.kind, tuple(p.notification.alert_ids)) for p in r.plan.notifications) == [
        ("repeat", ("hekou-water",)), ("repeat", ("quoted-town",))]
    assert len(hook.accepted) == 3


def test_a_deliverer_stuck_holding_the_outbox_does_not_park_the_jobs(tmp_path, receivers,
                                                                     monkeypatch):
    # A `yuqing handover --send` hung mid-send holds the delivery lock: the heartbeat and
    # detection jobs waited on it for ever. They now give up after a while; what is due
    # stays due and goes out once the lock is free.
    import fcntl
    import os
    import time

    hook = receivers()
    monkeypatch.setenv("YQ_TEST_HOOK", hook.url("/hook"))
    cfg = config()
    outbox = Outbox(tmp_path / "outbox.sqlite")
    nid = enqueue(cfg, outbox)
    now = T0 + timedelta(seconds=30)
    stuck = os.open(f"{outbox.path}.deliver.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(stuck, fcntl.LOCK_EX)
    try:
        began = time.monotonic()
        report = deliver_due(cfg, outbox, now, lock_wait=0.5)
        assert time.monotonic() - began < 5
        assert report.busy and report.sent == 0 and "busy" in report.summary()
        assert hook.seen == [] and outbox.get(nid).status == "pending"
    finally:
        os.close(stuck)
    assert deliver_due(cfg, outbox, now).sent == 1 and len(hook.accepted) == 1


def test_debug_logging_and_the_outbox_keep_the_webhook_token_secret(tmp_path, receivers):
    # The webhook's secret is its path (as with most bot gateways); an operator who turns
    # on DEBUG to find out why delivery fails must not get it in the log.
    hook = receivers(down=True)
    token = "s3cr3t-hook-token"
    cfg = config()
    db = tmp_path / "outbox.sqlite"
    nid = enqueue(cfg, Outbox(db))
    script = ("import logging\nfrom yuqing.cli import setup_logging\nsetup_logging('DEBUG')\n"
              "logging.getLogger('probe').debug('debug is on')\n" + DELIVER_SCRIPT)
    proc = subprocess.run(
        [sys.executable, "-c", script, str(db), cfg.model_dump_json(by_alias=True),
         (T0 + timedelta(seconds=30)).isoformat()], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "YQ_TEST_HOOK": hook.url(f"/hook/{token}")}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(hook.seen) == 1 and "debug is on" in proc.stderr
    assert "failed (attempt 1)" in proc.stderr
    assert token not in proc.stderr
    assert token not in (Outbox(db).get(nid).last_error or "")


def test_a_queued_warning_is_dropped_once_a_critical_inhibits_it(tmp_path, receivers,
                                                                 monkeypatch):
    """Inhibition applies when the retry is due too; a repeat of an acknowledged alert is
    dropped; a critical that has resolved since inhibits nothing."""
    hook = receivers(down=True)
    monkeypatch.setenv("YQ_TEST_HOOK", hook.url("/hook"))
    cfg = AlertingConfig.model_validate({
        "receivers": [{"name": "duty",
                       "channels": [{"type": "webhook", "url_env": "YQ_TEST_HOOK"}]}],
        "route": {"receiver": "duty", "group_by": ["township", "severity"],
                  "group_wait": "30s", "repeat_interval": "1h"},
        "inhibit_rules": [{"source_matchers": ['severity="critical"'],
                           "target_matchers": ['severity="warning"'],
                           "equal": ["township"]}],
        "delivery": {"max_attempts": 50, "backoff_initial": "5m", "backoff_max": "5m"}})
    outbox = Outbox(tmp_path / "outbox.sqlite")
    warn = water_alert().model_copy(update={"id": "hekou-warn",
                                            "severity": Severity.warning})
    crit = water_alert()
    dispatch(cfg, [warn], T0, outbox)
    first = dispatch(cfg, [warn], T0 + timedelta(seconds=30), outbox)
    [nid] = [p.notification.id for p in first.plan.notifications]
    assert outbox.get(nid).attempts == 1  # the robot is down: waiting for its retry
    # A critical about the same township fires; the queued warning is not sent with it.
    hook.down = False
    dispatch(cfg, [warn, crit], T0 + timedelta(minutes=1), outbox)
    later = dispatch(cfg, [warn, crit], T0 + timedelta(minutes=6), outbox)
    row = outbox.get(nid)
    assert row.status == "cancelled" and "inhibited by hekou-water" in row.last_error
    assert [d.alert_id for d in later.dropped] == [] and not any(
        "hekou-warn" in m["message"] for m in hook.accepted)
    # The critical's repeat waits for its retry while someone acknowledges it: dropped.
    hook.down = True
    rep = dispatch(cfg, [crit], T0 + timedelta(hours=1, minutes=7), outbox)
    [rid] = [p.notification.id for p in rep.plan.notifications if p.kind == "repeat"]
    taken = {"hekou-water": "acknowledged by 李 at 10:03"}
    gone = dispatch(cfg, [], T0 + timedelta(hours=1, minutes=8), outbox, taken=taken)
    assert [(d.notification, d.kind, d.cancelled) for d in gone.dropped] == [
        (rid, "repeat", True)]
    assert "acknowledged by 李" in outbox.get(rid).last_error
    # A queued warning whose critical has resolved since: nothing inhibits it any more.
    outbox2 = Outbox(tmp_path / "outbox2.sqlite")
    dispatch(cfg, [warn, crit], T0, outbox2)
    dispatch(cfg, [warn, crit], T0 + timedelta(seconds=30), outbox2)  # inhibited: crit only
    dispatch(cfg, [warn], T0 + timedelta(minutes=2), outbox2)
    dispatch(cfg, [warn], T0 + timedelta(minutes=3), outbox2)  # warning's first, fails
    # Both wait for a retry; the critical's queued copy is no reason to drop the warning.
    assert sorted(r.alert_ids[0] for r in outbox2.rows("pending")) == ["hekou-warn",
                                                                        "hekou-water"]
    assert dispatch(cfg, [warn], T0 + timedelta(minutes=4), outbox2).dropped == []
