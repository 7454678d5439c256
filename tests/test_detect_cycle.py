"""The detection cycle against the real node: what reaches the outbox, and what does not."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from web_support import seed

from yuqing.records import SHANGHAI

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a Friday morning, normal watch


def test_an_acknowledged_alert_is_not_repeated(prefix, store, tmp_path, monkeypatch):
    from duty import state
    from storage import AlertStore
    from yuqing.config import load_config
    from yuqing.jobs import detect_cycle

    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    items, alert = seed(T0)
    store.index(items, T0, refresh=True)
    alerts = AlertStore(store.es, prefix)
    alerts.ensure()
    other = alert.model_copy(update={"id": "noise0123456789", "labels": {
        "rule": "growing_event", "township": "城关镇", "event": "ev-noise"}})
    alerts.upsert([alert, other], T0, refresh=True)
    cfg = load_config(None)

    def sent(kind: str) -> set[str]:
        ob = state.open_outbox(cfg)
        try:
            return {a for r in ob.rows() if r.kind == kind for a in r.alert_ids}
        finally:
            ob.close()

    detect_cycle(cfg, T0, deliver=False)
    detect_cycle(cfg, T0 + timedelta(minutes=1), deliver=False)  # after group_wait
    assert {alert.id, other.id} <= sent("first")
    alerts.acknowledge(alert.id, "李", T0 + timedelta(minutes=5))
    detect_cycle(cfg, T0 + timedelta(hours=4, minutes=2), deliver=False)
    repeated = sent("repeat")
    assert other.id in repeated  # nobody took it: reminded, as before
    assert alert.id not in repeated  # taken: no reminder every four hours for three days


def _bulk_alerts(alert_store, alerts, now: datetime, acknowledged: bool) -> None:
    """Store many alerts in one request, as AlertStore.upsert would store each."""
    ops: list[dict] = []
    for a in alerts:
        doc = {**a.to_json_dict(), "updated_at": now.isoformat(), "resolved_at": None,
               "label_pairs": [f"{k}={v}" for k, v in sorted(a.labels.items())]}
        if acknowledged:
            doc.update({"acknowledged_by": "李", "acknowledged_at": now.isoformat()})
        ops += [{"index": {"_index": alert_store.index, "_id": a.id}}, doc]
    resp = alert_store.es.bulk(operations=ops, refresh=True)
    assert not resp["errors"]


def test_a_cycle_sees_every_stored_alert_beyond_a_thousand(prefix, store, tmp_path,
                                                            monkeypatch):
    # A busy week: more than a thousand newer alerts are stored. The older ones still
    # cool their keys down, still get resolved, and are still reminded of.
    from duty import state
    from storage import AlertStore
    from yuqing.config import load_config
    from yuqing.jobs import _firing_with_ack, detect_cycle
    from yuqing.records import AlertStatus

    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    items, water = seed(T0)
    store.index(items, T0, refresh=True)
    alert_store = AlertStore(store.es, prefix)
    alert_store.ensure()
    # ev-water fired two days ago: inside its 72-hour cool-down, nobody has acknowledged it.
    cooling = water.model_copy(update={
        "fired_at": T0 - timedelta(days=2),
        "labels": {**water.labels, "key": "event:ev-water"}})
    stale = water.model_copy(update={
        "id": "stale0123456789", "fired_at": T0 - timedelta(days=4), "item_ids": [],
        "labels": {"rule": "growing_event", "township": "城关镇", "event": "ev-old",
                   "key": "event:ev-old"}})
    noise = [water.model_copy(update={
        "id": f"busy{i:06d}", "fired_at": T0 - timedelta(minutes=1 + i), "item_ids": [],
        "labels": {"rule": "growing_event", "township": "城关镇", "event": f"ev-{i}",
                   "key": f"event:ev-{i}"}}) for i in range(1100)]
    _bulk_alerts(alert_store, [cooling, stale], T0, acknowledged=False)
    _bulk_alerts(alert_store, noise, T0, acknowledged=True)
    cfg = load_config(None)

    first = detect_cycle(cfg, T0, deliver=False)
    assert not [a for a in first.fired if a.labels.get("key") == "event:ev-water"], \
        "re-fired inside the cool-down"
    assert alert_store.get(stale.id)["status"] == AlertStatus.resolved.value
    assert first.firing == 1 + len(noise)
    detect_cycle(cfg, T0 + timedelta(minutes=1), deliver=False)  # after group_wait
    ob = state.open_outbox(cfg)
    try:
        sent = {a for r in ob.rows() for a in r.alert_ids}
    finally:
        ob.close()
    assert cooling.id in sent
    # Escalation reads the firing alerts the same way: none is left unescalated.
    assert len(_firing_with_ack(cfg)) == 1 + len(noise)


# A complaint that comes back after the officer marked it handled (处置).
WAVE = "ev-tap"


def _tap(n: int, when: datetime):
    from web_support import item

    return item(n, f"河口镇停水还没修好第{n}帖", "河口镇沙湾村停水三天了，还没人来修。", when,
                town="河口镇", sentiment=0.1, category="城乡建设", event=WAVE)


def _first_wave(store, cfg):
    """Six complaints in the morning, and the alert they fire at T0."""
    from yuqing.jobs import detect_cycle

    store.index([_tap(i, T0 - timedelta(hours=6 - i)) for i in range(6)], T0, refresh=True)
    [first] = [a for a in detect_cycle(cfg, T0, deliver=False).fired
               if a.labels.get("key") == f"event:{WAVE}"]
    return first


def _cycle(cfg, now: datetime):
    from yuqing.jobs import detect_cycle

    return [a for a in detect_cycle(cfg, now, deliver=False).fired
            if a.labels.get("key") == f"event:{WAVE}"]


@pytest.fixture
def wave_cfg(prefix, store, tmp_path, monkeypatch):
    from yuqing.config import load_config

    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    return load_config(None)


def test_a_complaint_back_after_handling_fires_again_as_a_recurrence(prefix, store,
                                                                       wave_cfg):
    from storage import AlertStore

    alerts = AlertStore(store.es, prefix)
    first = _first_wave(store, wave_cfg)
    handled = T0 + timedelta(hours=2)
    alerts.handle(first.id, "李", "已通知县水务局抢修", handled)
    # The next day, five more: "停水 still not fixed". Well inside the 72-hour cool-down.
    again = [_tap(10 + i, T0 + timedelta(hours=18 + i)) for i in range(5)]
    store.index(again, T0 + timedelta(hours=23), refresh=True)
    day2 = T0 + timedelta(days=1)
    [rec] = _cycle(wave_cfg, day2)
    assert rec.title.startswith("【处置后复发】") and rec.id != first.id
    assert rec.labels["recurrence_of"] == first.id and first.id in rec.summary
    assert sorted(rec.item_ids) == sorted(i.item.id for i in again)  # only the new wave
    assert rec.count == 5 and rec.first_seen == again[0].item.published_at
    stored = alerts.get(rec.id)
    assert stored["status"] == "firing" and not stored.get("handled_at")
    # Running the same minute again, or the next minutes, fires nothing more, and the
    # store holds one recurrence, whatever the cycle that reads it back.
    assert _cycle(wave_cfg, day2) == []
    assert _cycle(wave_cfg, day2 + timedelta(minutes=1)) == []
    recs = [d for d in alerts.firing_or_fired_since(T0)
            if (d.get("labels") or {}).get("recurrence_of")]
    assert [d["id"] for d in recs] == [rec.id]


def test_an_alert_only_acknowledged_keeps_its_cool_down(prefix, store, wave_cfg):
    from storage import AlertStore

    alerts = AlertStore(store.es, prefix)
    first = _first_wave(store, wave_cfg)
    alerts.acknowledge(first.id, "李", T0 + timedelta(hours=2))
    store.index([_tap(10 + i, T0 + timedelta(hours=18 + i)) for i in range(5)],
                T0 + timedelta(hours=23), refresh=True)
    assert _cycle(wave_cfg, T0 + timedelta(days=1)) == []  # the wave is being dealt with
    # The step to critical still applies: twelve in the window.
    store.index([_tap(20 + i, T0 + timedelta(hours=23, minutes=5 * i)) for i in range(7)],
                T0 + timedelta(days=1), refresh=True)
    [crit] = _cycle(wave_cfg, T0 + timedelta(days=1, minutes=1))
    assert crit.severity.value == "critical" and "recurrence_of" not in crit.labels
    assert not crit.title.startswith("【处置后复发】")


def test_only_items_after_the_handling_count_as_the_new_wave(prefix, store, wave_cfg):
    from storage import AlertStore

    alerts = AlertStore(store.es, prefix)
    first = _first_wave(store, wave_cfg)
    handled = T0 + timedelta(hours=6)
    # Four more came in before the officer handled it, two after: not a new wave.
    before = [_tap(10 + i, T0 + timedelta(hours=1 + i)) for i in range(4)]
    after = [_tap(20 + i, handled + timedelta(hours=1 + i)) for i in range(2)]
    store.index(before + after, handled + timedelta(hours=3), refresh=True)
    alerts.handle(first.id, "李", "已通知县水务局抢修", handled)
    assert _cycle(wave_cfg, handled + timedelta(hours=4)) == []
    # A third after the handling reaches the event's minimum of three: those three only.
    third = _tap(30, handled + timedelta(hours=5))
    store.index([third], handled + timedelta(hours=5), refresh=True)
    [rec] = _cycle(wave_cfg, handled + timedelta(hours=5, minutes=1))
    assert sorted(rec.item_ids) == sorted(i.item.id for i in [*after, third])
    assert rec.labels["recurrence_of"] == first.id



# A notification waiting in the outbox for a retry is checked again before it goes out.
HOOK_CFG = """
alerting:
  route: {receiver: office, group_by: [rule, township], group_wait: 30s}
  receivers:
    - name: office
      channels: [{type: webhook, url_env: YQ_TEST_HOOK}]
  delivery: {max_attempts: 20, backoff_initial: 1m, backoff_max: 1m}
"""


@pytest.fixture
def queued(prefix, store, tmp_path, monkeypatch):
    """Two alerts (河口镇, 城关镇) whose first notifications failed once: the robot was
    down. Returns (config, alert store, silence store, hook, the two alerts)."""
    from hooks import Hook

    from storage import open_alert_stores
    from yuqing.config import DEFAULT_CONFIG, load_config
    from yuqing.jobs import detect_cycle

    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    hook = Hook(down=True)
    monkeypatch.setenv("YQ_TEST_HOOK", hook.url("/hook"))
    path = tmp_path / "yuqing.yaml"
    path.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8") + HOOK_CFG, encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG", str(path))
    cfg = load_config(None)
    items, water = seed(T0)
    store.index(items, T0, refresh=True)
    alerts, silences = open_alert_stores(cfg)
    other = water.model_copy(update={"id": "noise0123456789", "labels": {
        "rule": "growing_event", "township": "城关镇", "event": "ev-noise"}})
    alerts.upsert([water, other], T0, refresh=True)
    detect_cycle(cfg, T0)
    detect_cycle(cfg, T0 + timedelta(minutes=1))  # after group_wait: tried, failed
    assert hook.seen and not hook.accepted
    yield cfg, alerts, silences, hook, water, other
    hook.stop()


def _outbox_rows(cfg, alert_id: str):
    from duty import state

    ob = state.open_outbox(cfg)
    try:
        return [r for r in ob.rows() if alert_id in r.alert_ids or
                alert_id in (r.last_error or "")]
    finally:
        ob.close()


def test_a_silence_made_while_a_notification_waits_for_its_retry_drops_it(queued, capsys):
    from alerts.cli import run
    from alerts.silences import Silence
    from yuqing.jobs import detect_cycle

    cfg, _, silences, hook, water, other = queued
    at = T0 + timedelta(minutes=2)
    silences.add(Silence.create(['township="河口镇"'], starts_at=at,
                                ends_at=at + timedelta(hours=2), created_by="李",
                                comment="水厂检修，已知", now=at))
    hook.down = False
    report = detect_cycle(cfg, T0 + timedelta(minutes=3))
    bodies = [m["message"] for m in hook.accepted]
    # The other township's retry goes out; the silenced one does not.
    assert any(other.id in b for b in bodies)
    assert not any(water.id in b for b in bodies)
    assert report.dropped >= 1
    [row] = [r for r in _outbox_rows(cfg, water.id) if r.kind == "first"]
    assert row.status == "cancelled" and "silenced by" in row.last_error
    assert "水厂检修，已知" in row.last_error
    # The officer can see what was dropped, and why.
    import argparse

    assert run(argparse.Namespace(alerts_action="outbox", config=None),
               now=T0 + timedelta(minutes=3)) == 0
    out = capsys.readouterr().out
    assert '"cancelled": ' in out and row.id[:12] in out and "silenced by" in out
    # Nothing is lost: when the silence ends, the alert still firing is told afresh.
    end = at + timedelta(hours=2)
    detect_cycle(cfg, end + timedelta(minutes=1))
    detect_cycle(cfg, end + timedelta(minutes=2))
    assert sum(water.id in m["message"] for m in hook.accepted) == 1


def test_an_alert_taken_in_the_console_before_its_robot_answered_is_not_sent(queued,
                                                                              caplog):
    """Acknowledged before any robot told anyone: the office has it (the console showed
    it), so the queued first notification is dropped, with a warning; a grouped alert
    nobody took still goes out."""
    import logging

    from yuqing.jobs import detect_cycle

    cfg, alerts, _, hook, water, other = queued
    [grouped] = [r for r in _outbox_rows(cfg, water.id) if r.kind == "first"]
    assert len(grouped.alert_ids) == 2  # detection's own 河口镇 alert is in the group
    alerts.acknowledge(water.id, "李", T0 + timedelta(minutes=2))
    alerts.handle(other.id, "王", "已转县水务局", T0 + timedelta(minutes=2))
    hook.down = False
    with caplog.at_level(logging.INFO, logger="alerts.recheck"):
        report = detect_cycle(cfg, T0 + timedelta(minutes=3))
    bodies = [m["message"] for m in hook.accepted]
    assert len(bodies) == 1 and water.id not in bodies[0] and other.id not in bodies[0]
    rest = next(a for a in grouped.alert_ids if a != water.id)
    assert rest in bodies[0]
    assert report.dropped == 2
    [gone] = [r for r in _outbox_rows(cfg, other.id) if r.kind == "first"]
    assert gone.status == "cancelled" and "handled by 王" in gone.last_error
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(water.id[:12] in w and "acknowledged by 李" in w for w in warned)
    assert any(other.id[:12] in w and "never told" in w for w in warned)
