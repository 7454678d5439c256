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
