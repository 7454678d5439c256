"""Alert state and silences in the real Elasticsearch node; the CLI on top of them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.config import AlertingConfig
from alerts.routing import dry_run
from alerts.silences import Silence
from tests.helpers import NOW
from yuqing.records import Alert, AlertStatus


@pytest.fixture
def stores(prefix, es_url):
    from storage import AlertStore, SilenceStore
    from storage.client import connect
    from yuqing.config import ElasticsearchConfig

    es = connect(ElasticsearchConfig(hosts=[es_url]))
    a, s = AlertStore(es, prefix), SilenceStore(es, prefix)
    a.ensure()
    s.ensure()
    return a, s


def water(count: int = 12, status: AlertStatus = AlertStatus.firing) -> Alert:
    return Alert(id="a3f9c2d18e", rule="growing", severity="warning", title="河口镇自来水发黄",
                 summary="投诉增长", fired_at=NOW, labels={"township": "河口镇"}, count=count,
                 baseline=3.0, category="供水", status=status)


def test_ack_and_handle_persist_across_refire(stores):
    alerts, _ = stores
    alerts.upsert([water()], NOW, refresh=True)
    alerts.acknowledge("a3f9", "张三", NOW + timedelta(minutes=5))
    alerts.handle("a3f9c2d18e", "李四", "已通知水厂排查", NOW + timedelta(hours=1))
    alerts.upsert([water(status=AlertStatus.resolved)], NOW + timedelta(hours=2))
    alerts.upsert([water(count=25)], NOW + timedelta(hours=3), refresh=True)
    doc = alerts.get("a3f9c2d18e")
    assert doc["count"] == 25 and doc["status"] == "firing" and doc["resolved_at"] is None
    assert doc["acknowledged_by"] == "张三" and doc["handled_by"] == "李四"
    assert doc["handle_note"] == "已通知水厂排查"
    assert [d["id"] for d in alerts.list(status="firing")] == ["a3f9c2d18e"]
    assert alerts.list(open_only=True) == []
    with pytest.raises(KeyError):
        alerts.acknowledge("ffff", "张三", NOW)
    assert alerts.get("a3f") is None and alerts.get("a3f9")  # too short to mean one alert


def test_the_first_acknowledgement_and_handling_stand(stores):
    from storage.alerts_store import AlreadyHandled

    alerts, _ = stores
    alerts.upsert([water()], NOW, refresh=True)
    first = alerts.acknowledge("a3f9", "张三", NOW + timedelta(minutes=5))
    again = alerts.acknowledge("a3f9", "李四", NOW + timedelta(hours=20))
    assert again["acknowledged_by"] == "张三" == first["acknowledged_by"]
    assert again["acknowledged_at"] == first["acknowledged_at"]
    alerts.handle("a3f9", "张三", "已通知水厂排查", NOW + timedelta(hours=1))
    with pytest.raises(AlreadyHandled, match="已由 张三 于 .* 处置：已通知水厂排查"):
        alerts.handle("a3f9", "李四", "回访：群众满意", NOW + timedelta(days=1))
    doc = alerts.get("a3f9c2d18e")
    assert (doc["handled_by"], doc["handle_note"]) == ("张三", "已通知水厂排查")
    assert doc["handled_at"] == (NOW + timedelta(hours=1)).isoformat()


def test_silences_add_and_expire_drive_routing(stores):
    _, silences = stores
    cfg = AlertingConfig()
    s = Silence.create(['township="河口镇"'], starts_at=NOW, ends_at=NOW + timedelta(hours=2),
                       created_by="张三", comment="水厂检修，已知情况", now=NOW)
    silences.add(s)
    active = silences.list(active_at=NOW + timedelta(minutes=1))
    assert [x.id for x in active] == [s.id] and active[0].comment == "水厂检修，已知情况"
    [d] = dry_run(cfg, [water()], NOW + timedelta(minutes=1), active)
    assert d.muted_by and s.id in d.muted_by
    # Expired by an officer: no longer active, still on record.
    silences.expire(s.id[:6], NOW + timedelta(minutes=30))
    later = NOW + timedelta(minutes=31)
    assert silences.list(active_at=later) == []
    assert [x.id for x in silences.list()] == [s.id]
    [d] = dry_run(cfg, [water()], later, silences.list(active_at=later))
    assert d.muted_by is None
    # Expiry by time alone.
    s2 = Silence.create(['severity="warning"'], starts_at=NOW, ends_at=NOW + timedelta(hours=1),
                        created_by="王五", comment="夜间降噪", now=NOW)
    silences.add(s2)
    assert [x.id for x in silences.list(active_at=NOW + timedelta(minutes=59))] == [s2.id]
    assert silences.list(active_at=NOW + timedelta(hours=1)) == []


def test_cli_ack_handle_silence(stores, capsys, monkeypatch):
    from yuqing.cli import main

    alerts, silences = stores
    alerts.upsert([water()], NOW, refresh=True)
    monkeypatch.setenv("YUQING_OPERATOR", "值班员甲")
    assert main(["alerts", "ack", "a3f9c2"]) == 0
    assert main(["alerts", "handle", "a3f9c2", "--note", "已转办"]) == 0
    assert main(["alerts", "list"]) == 0
    out = capsys.readouterr().out
    assert "a3f9c2d18e" in out and "已处置(值班员甲)" in out
    assert main(["alerts", "silence", 'township="河口镇"', "--duration", "1h"]) == 2
    assert "--comment is required" in capsys.readouterr().err
    assert main(["alerts", "silence", 'township="河口镇"', "--duration", "1h",
                 "--comment", "已知"]) == 0
    sid = capsys.readouterr().out.split()[1]
    assert main(["alerts", "silence"]) == 0
    assert sid in capsys.readouterr().out
    assert main(["alerts", "unsilence", sid]) == 0
    assert f"expired silence {sid}" in capsys.readouterr().out
    assert main(["alerts", "silence"]) == 0
    assert sid not in capsys.readouterr().out


def test_every_active_silence_mutes_however_many_there_are(stores):
    # A holiday with many narrow silences (one per known, handled complaint): the one
    # ending soonest was beyond the 500 read, so its alerts were sent although silenced.
    _, silences = stores
    soon = Silence.create(['township="河口镇"'], starts_at=NOW, ends_at=NOW + timedelta(hours=1),
                          created_by="张三", comment="水厂检修，已知情况", now=NOW)
    others = [Silence.create([f'township="村{i}"'], starts_at=NOW,
                             ends_at=NOW + timedelta(hours=2, minutes=i), created_by="张三",
                             comment="已知情况", now=NOW) for i in range(520)]
    ops: list[dict] = []
    for s in [soon, *others]:
        ops += [{"index": {"_index": silences.index, "_id": s.id}}, s.model_dump(mode="json")]
    assert not silences.es.bulk(operations=ops, refresh=True)["errors"]
    active = silences.list(active_at=NOW + timedelta(minutes=1))
    assert len(active) == 1 + len(others)
    [d] = dry_run(AlertingConfig(), [water()], NOW + timedelta(minutes=1), active)
    assert d.muted_by and soon.id in d.muted_by


def test_open_alerts_are_counted_in_full_for_the_heartbeat_and_the_console(stores, store,
                                                                          tmp_path,
                                                                          monkeypatch):
    # A holiday with over a thousand open alerts: the heartbeat said 200 and the console
    # 1000, the sizes of the lists they counted; the figure must be all of them.
    from duty.heartbeat import compose, gather
    from watch.levels import watch_at
    from web.data import ConsoleData
    from web.db import ConsoleDB
    from yuqing.config import load_config

    alerts, _ = stores
    many = [water().model_copy(update={"id": f"open{i:06d}", "title": f"告警{i}",
                                       "fired_at": NOW - timedelta(minutes=i)})
            for i in range(1050)]
    ops: list[dict] = []
    for a in many:
        doc = {**a.to_json_dict(), "label_pairs": ["township=河口镇"],
               "updated_at": NOW.isoformat(), "resolved_at": None}
        ops += [{"index": {"_index": alerts.index, "_id": a.id}}, doc]
    assert not alerts.es.bulk(operations=ops, refresh=True)["errors"]
    alerts.handle("open000000", "李四", "已处置", NOW)
    alerts.refresh()
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    cfg = load_config(None)

    snap = gather(cfg, NOW, None)
    assert snap.open_total == 1049 and snap.open_alerts[0] == "告警1"
    _, body = compose(NOW, watch_at(NOW), None, snap, [], "定时")
    assert "未处置预警：1049 条" in body and "另有 1039 条" in body
    assert body.count("  · 告警") == 10
    assert ConsoleData(cfg, ConsoleDB(tmp_path / "console.sqlite")).open_alert_count() == 1049
