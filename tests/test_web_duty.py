"""The console's duty view: shift from the roster, escalations under way, watch level."""

from __future__ import annotations

from datetime import datetime

from duty import state
from web.duty import duty_status
from yuqing.config import parse_config
from yuqing.records import SHANGHAI

NOW = datetime(2026, 10, 2, 10, 0, tzinfo=SHANGHAI)  # 国庆节


def test_duty_view_shows_shift_escalations_and_holiday_watch(tmp_path):
    cfg = parse_config({
        "data_dir": str(tmp_path / "var"),
        "gazetteer": {"county": "青禾县"},
        "duty": {"people": [{"name": "赵敏"}, {"name": "孙磊"}, {"name": "王建国"}],
                 "roster": {"officers": ["赵敏"], "leaders": ["孙磊"],
                            "office_head": "王建国"}},
    })
    outbox = state.open_outbox(cfg)
    with outbox.transaction() as tx:
        tx.execute("INSERT INTO escalations (alert_id, step, last_at) VALUES (?,?,?)",
                   ("abc123def4567890", 2, NOW.timestamp()))
    outbox.close()
    d = duty_status(cfg, NOW)
    assert d.level_key == "holiday" and "国庆节" in "".join(d.reasons)
    assert [p["name"] for p in d.on_duty] == ["赵敏", "孙磊", "王建国"]
    assert "24小时班" in d.on_duty[0]["role"]  # a holiday is one 24-hour shift
    assert d.escalations == [{"alert_id": "abc123def4567890", "step": 2, "last_at": "10-02 10:00"}]
