"""Two officers acting on one alert at the same moment (console and DingTalk, two desks):
the first handling stands, and the record says who did it, whatever the interleaving."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.helpers import NOW
from yuqing.records import Alert


@pytest.fixture
def alerts(prefix, es_url):
    from storage import AlertStore
    from storage.client import connect
    from yuqing.config import ElasticsearchConfig

    store = AlertStore(connect(ElasticsearchConfig(hosts=[es_url])), prefix)
    store.ensure()
    return store


def test_simultaneous_handlings_leave_exactly_one_on_record(alerts):
    from storage.alerts_store import AlreadyHandled

    ids = [f"race{n:02d}{'0' * 8}" for n in range(12)]
    alerts.upsert([Alert(id=i, rule="growing", severity="warning", title="河口镇自来水发黄",
                         summary="投诉增长", fired_at=NOW) for i in ids], NOW, refresh=True)
    outcomes: dict[tuple[str, str], str] = {}

    def officer(name: str, start: threading.Barrier) -> None:
        for alert_id in ids:
            start.wait()
            try:
                alerts.handle(alert_id, name, f"{name}处置", NOW + timedelta(minutes=5))
                outcomes[(alert_id, name)] = "handled"
            except AlreadyHandled:
                outcomes[(alert_id, name)] = "refused"

    start = threading.Barrier(2)
    threads = [threading.Thread(target=officer, args=(n, start)) for n in ("张三", "李四")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for alert_id in ids:
        winners = [n for n in ("张三", "李四") if outcomes[(alert_id, n)] == "handled"]
        doc = alerts.get(alert_id)
        assert len(winners) == 1, (alert_id, outcomes)
        assert (doc["handled_by"], doc["handle_note"], doc["acknowledged_by"]) == (
            winners[0], f"{winners[0]}处置", winners[0])
