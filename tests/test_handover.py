"""`yuqing handover`: what fired in the shift, what is still open, what was handled."""

from __future__ import annotations

from datetime import datetime, timedelta

import yaml

from duty.handover import compose, gather
from duty.roster import DutyRoster
from storage import open_alert_stores
from yuqing.cli import main
from yuqing.config import DEFAULT_CONFIG, load_config
from yuqing.records import SHANGHAI, Alert, Severity

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI)  # a Friday, inside the day shift


def alert(n: int, title: str, when: datetime) -> Alert:
    return Alert(id=f"{n}{'f' * 19}", rule="growing_event", severity=Severity.warning,
                 title=title, summary="说明", fired_at=when, urls=[f"http://h.test/{n}"],
                 labels={"township": "河口镇"})


def test_handover_lists_fired_open_and_handled_of_the_shift(prefix, tmp_path, monkeypatch):
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    cfg = load_config(None)
    store, _ = open_alert_stores(cfg)
    store.upsert([alert(1, "河口镇自来水发黄快速增长", NOW - timedelta(hours=4)),
                  alert(2, "城关镇噪音扰民快速增长", NOW - timedelta(hours=2)),
                  alert(3, "昨夜的旧告警", NOW - timedelta(hours=20))], NOW, refresh=True)
    store.handle("2" + "f" * 19, "赵敏", "已通知城管到场", NOW - timedelta(hours=1))
    shift = DutyRoster(cfg.duty).at(NOW)
    assert shift.kind == "day" and shift.start <= NOW - timedelta(hours=4)
    data = gather(cfg, shift, NOW)
    assert sorted(d["title"] for d in data.fired) == ["城关镇噪音扰民快速增长",
                                                      "河口镇自来水发黄快速增长"]
    assert {d["title"] for d in data.open} == {"河口镇自来水发黄快速增长", "昨夜的旧告警"}
    assert [d["title"] for d in data.handled] == ["城关镇噪音扰民快速增长"]
    title, body = compose(data, "md")
    assert title.startswith("【交接班】")
    assert "已处置（赵敏：已通知城管到场）" in body
    assert "http://h.test/1" in body


def test_a_busy_shift_after_it_does_not_push_the_previous_shifts_alerts_out(
        prefix, tmp_path, monkeypatch):
    # The hand-over of the previous shift, written after a busy one: more than two
    # thousand newer alerts once left the previous shift's own alerts unread.
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    cfg = load_config(None)
    store, _ = open_alert_stores(cfg)
    roster = DutyRoster(cfg.duty)
    previous = roster.previous(roster.at(NOW))
    mine = alert(1, "上一班的告警", previous.start + timedelta(hours=1))
    newer = [alert(1000 + i, f"本班告警{i}", NOW - timedelta(seconds=i + 1))
             for i in range(2100)]
    ops: list[dict] = []
    for a in [mine, *newer]:
        doc = {**a.to_json_dict(), "updated_at": NOW.isoformat(), "resolved_at": None,
               "label_pairs": [f"{k}={v}" for k, v in sorted(a.labels.items())]}
        ops += [{"index": {"_index": store.index, "_id": a.id}}, doc]
    assert not store.es.bulk(operations=ops, refresh=True)["errors"]
    data = gather(cfg, previous, NOW)
    assert [d["title"] for d in data.fired] == ["上一班的告警"]
    assert len(data.open) == 1 + len(newer)  # every open alert is handed over


def test_the_handover_links_each_open_alert_to_the_console(prefix, tmp_path, monkeypatch,
                                                           capsys):
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw.setdefault("alerting", {})["console_url"] = "https://yuqing.example.gov.cn/"
    path = tmp_path / "yuqing.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    store, _ = open_alert_stores(load_config(path))
    store.upsert([alert(1, "河口镇自来水发黄快速增长", NOW - timedelta(hours=4)),
                  alert(2, "城关镇噪音扰民快速增长", NOW - timedelta(hours=2))], NOW,
                 refresh=True)
    store.handle("2" + "f" * 19, "赵敏", "已通知城管到场", NOW - timedelta(hours=1))
    assert main(["--config", str(path), "handover", "--at", NOW.isoformat()]) == 0
    out = capsys.readouterr().out
    page = "https://yuqing.example.gov.cn/alerts/"
    # The open one links to where it is taken over; the handled one needs no action.
    assert f"  处理：{page}1{'f' * 19}" in out.splitlines()
    assert f"{page}2" not in out
    title, _ = compose(gather(load_config(path), DutyRoster(load_config(path).duty).at(NOW),
                              NOW))
    assert title.startswith("【交接班】2026-11-20 ")
