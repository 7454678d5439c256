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


def test_the_duty_page_stamp_follows_the_shift_the_level_and_escalations(tmp_path):
    """The open duty page reloads itself when its stamp changes: it must change with what
    the page shows outside its live table, and only then."""
    cfg = parse_config({
        "data_dir": str(tmp_path / "var"),
        "gazetteer": {"county": "青禾县"},
        "duty": {"people": [{"name": "赵敏"}, {"name": "钱多"}, {"name": "孙磊"}],
                 "roster": {"officers": ["赵敏", "钱多"], "leaders": ["孙磊"]}},
    })
    day = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a Friday, the day shift
    assert duty_status(cfg, day).stamp == duty_status(cfg, day.replace(hour=11)).stamp
    night = day.replace(hour=20)
    assert duty_status(cfg, night).on_duty != duty_status(cfg, day).on_duty
    assert duty_status(cfg, night).stamp != duty_status(cfg, day).stamp
    # Into the weekend: the level changes.
    assert duty_status(cfg, day.replace(day=21)).stamp != duty_status(cfg, day).stamp
    # A new escalation step.
    before = duty_status(cfg, day.replace(hour=11)).stamp
    outbox = state.open_outbox(cfg)
    with outbox.transaction() as tx:
        tx.execute("INSERT INTO escalations (alert_id, step, last_at) VALUES (?,?,?)",
                   ("abc123def4567890", 1, day.timestamp()))
    outbox.close()
    assert duty_status(cfg, day.replace(hour=11)).stamp != before
