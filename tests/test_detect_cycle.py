"""The detection cycle against the real node: what reaches the outbox, and what does not."""

from __future__ import annotations

from datetime import datetime, timedelta

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
