"""Duty operations with a controllable clock: calendar, watch levels, intervals, roster,
grid, escalation, heartbeat, crawl health."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from alerts.routing import plan
from detection.sensitivity import sensitivity_at
from duty import state
from duty.escalation import escalate, escalation_id
from duty.health import health_alerts
from duty.heartbeat import Snapshot, compose, tick
from duty.receivers import effective_alerting, expand_plan
from duty.roster import DutyRoster
from watch.calendar import configure
from watch.intervals import interval_check
from watch.levels import calendar_warnings, watch_at
from yuqing.cli import main
from yuqing.config import DEFAULT_CONFIG, parse_config
from yuqing.records import SHANGHAI, Alert, AlertStatus, Severity


def T(*a: int) -> datetime:  # noqa: N802 - reads like a literal
    return datetime(*a, tzinfo=SHANGHAI)


def channel(env: str) -> list[dict]:
    return [{"type": "webhook", "url_env": env}]


def make_cfg(tmp: Path, **extra):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["data_dir"] = str(tmp)
    raw["sources"] = [{"id": "bbs", "name": "论坛", "template": "discuz", "kind": "forum",
                       "start_urls": ["http://127.0.0.1:9/"], "interval_minutes": 60,
                       "intervals": {"sensitive": 10}}]
    raw["calendar"] = {"sensitive_periods": [
        {"name": "汛期", "from": "06-01", "to": "09-30"},
        {"name": "县庆", "start": "2026-11-18", "end": "2026-11-19"}]}
    raw["duty"] = {
        "people": [{"name": n, "channels": channel("X")} for n in
                   ("甲", "乙", "丙", "组长", "主任", "李秀兰")]
        + [{"name": "水利联络员", "departments": ["县水利局"], "channels": channel("X")}],
        "roster": {"officers": ["甲", "乙", "丙"], "leaders": ["组长"], "office_head": "主任"},
    }
    raw.update(extra)
    cfg = parse_config(raw)
    configure(cfg.calendar)
    return cfg


@pytest.fixture(autouse=True)
def _reset_calendar():
    yield
    from watch.config import CalendarConfig

    configure(CalendarConfig())


def alert(aid: str = "a1", township: str = "河口镇", fired: datetime | None = None) -> Alert:
    return Alert(id=aid, rule="growing_complaint", severity=Severity.warning,
                 title=f"{township}自来水发黄投诉增多", summary="", fired_at=fired or
                 T(2026, 11, 20, 10), labels={"township": township}, places=["河口村"],
                 count=6, baseline=1.0)


# -- calendar ----------------------------------------------------------------------------

def test_calendar_json_contract(capsys):
    assert main(["calendar", "--year", "2026", "--json"]) == 0
    days = json.loads(capsys.readouterr().out)
    assert len(days) == 365
    assert all(set(d) == {"date", "off_day", "holiday", "watch_level", "reasons"} for d in days)
    by = {d["date"]: d for d in days}
    assert by["2026-10-01"] == {"date": "2026-10-01", "off_day": True, "holiday": "国庆节",
                                "watch_level": "holiday", "reasons": ["法定节假日：国庆节"]}
    assert by["2026-09-20"]["off_day"] is False  # 调休: a Sunday worked
    assert by["2026-09-20"]["reasons"] == ["调休上班日"]
    assert by["2026-11-20"]["watch_level"] == "normal" and by["2026-11-20"]["holiday"] is None


def test_unknown_year_is_loud_and_configurable(capsys, tmp_path):
    assert main(["calendar", "--year", "2027", "--json"]) == 0
    out = capsys.readouterr()
    assert "2027 年法定节假日安排未知" in out.err
    day = json.loads(out.out)[0]
    assert "节假日安排未知（2027 年）" in day["reasons"]
    assert calendar_warnings(T(2026, 12, 1)) and not calendar_warnings(T(2026, 3, 1))
    cfg = make_cfg(tmp_path, calendar={"years": {2027: {
        "holidays": [{"name": "元旦", "start": "2027-01-01"}],
        "workdays": ["2027-01-02"]}}})
    assert calendar_warnings(T(2026, 12, 1), cfg.calendar) == []
    w = watch_at(T(2027, 1, 1, 12))
    assert w.level == "holiday" and w.known
    assert watch_at(T(2027, 1, 2, 12)).off_day is False  # a configured make-up workday


def test_watch_levels_drive_crawl_interval_and_thresholds(tmp_path):
    cfg = make_cfg(tmp_path)
    src = cfg.source("bbs")
    normal, holiday = watch_at(T(2026, 11, 20, 12)), watch_at(T(2026, 10, 2, 12))
    flood, anniversary = watch_at(T(2026, 7, 15, 12)), watch_at(T(2026, 11, 18, 12))
    assert (normal.level, holiday.level, flood.level, anniversary.level) == (
        "normal", "holiday", "sensitive", "sensitive")
    assert anniversary.reasons == ("敏感时期：县庆",)
    # 国庆 inside 汛期? no; but 中秋 2026-09-25 is in 汛期: sensitive wins over holiday.
    mid_autumn = watch_at(T(2026, 9, 25, 12))
    assert mid_autumn.level == "sensitive" and "法定节假日：中秋节" in mid_autumn.reasons
    f = cfg.watch.crawl_factor
    assert [src.interval_at(w.level, f) for w in (normal, holiday, flood)] == [60, 30, 10]
    s = {w.level: sensitivity_at(T(2026, m, d, 12), factors=cfg.watch.sensitivity_factor)
         for w, (m, d) in ((normal, (11, 20)), (holiday, (10, 2)), (flood, (7, 15)))}
    assert s["normal"].min_count > s["holiday"].min_count >= s["sensitive"].min_count
    assert s["normal"].min_growth > s["holiday"].min_growth > s["sensitive"].min_growth


def test_time_intervals_mute_and_activate_routes(tmp_path):
    cfg = make_cfg(tmp_path, alerting={
        "route": {"receiver": "office", "group_wait": "1s", "routes": [
            {"receiver": "night", "matchers": ['severity="warning"'],
             "mute_time_intervals": ["工作时间"]},
            ]},
        "receivers": [{"name": "office"}, {"name": "night"}],
        "time_intervals": [
            {"name": "工作时间", "time_intervals": [
                # Working hours on working days: 调休 applied, so no weekdays list.
                {"times": [{"start_time": "08:30", "end_time": "17:30"}],
                 "off_days": False}]},
            {"name": "敏感", "time_intervals": [{"watch_levels": ["sensitive"]}]},
            {"name": "节日", "time_intervals": [{"holidays": True}]},
            "旧名字"]})
    check = interval_check(cfg.alerting.time_intervals)
    assert check("工作时间", T(2026, 11, 20, 10)) is True
    assert check("工作时间", T(2026, 9, 20, 10)) is True  # Sunday, but a 调休 workday
    assert check("工作时间", T(2026, 10, 2, 10)) is False  # Friday in 国庆
    assert check("节日", T(2026, 10, 2, 10)) and not check("节日", T(2026, 10, 12, 10))
    assert check("敏感", T(2026, 7, 1)) and not check("敏感", T(2026, 11, 1))
    assert check("旧名字", T(2026, 7, 1)) is None  # a pre-calendar bare name: ignored
    a = alert()
    workday = plan(cfg.alerting, [a], T(2026, 11, 20, 10), {}, intervals=check)
    plan2 = plan(cfg.alerting, [a], T(2026, 11, 20, 10, 0, 5), workday.state, intervals=check)
    assert not plan2.notifications  # muted during working hours
    holiday = plan(cfg.alerting, [a], T(2026, 10, 2, 10), {}, intervals=check)
    holiday = plan(cfg.alerting, [a], T(2026, 10, 2, 10, 0, 5), holiday.state,
                   intervals=check)
    assert [p.notification.receiver for p in holiday.notifications] == ["night"]


def test_a_critical_child_of_a_route_muted_at_night_still_wakes_the_office(tmp_path):
    # As in Alertmanager, time intervals are the route's own: a child inheriting the
    # parent's night mute had no way to be heard at 03:00 (an empty list means "unset").
    cfg = make_cfg(tmp_path, alerting={
        "route": {"receiver": "office", "group_wait": "1s", "routes": [
            {"matchers": ['township="河口镇"'], "receiver": "leaders",
             "mute_time_intervals": ["夜间"], "routes": [
                 {"matchers": ['severity="critical"'], "receiver": "office"}]}]},
        "receivers": [{"name": "office"}, {"name": "leaders"}],
        "time_intervals": [{"name": "夜间", "time_intervals": [
            {"times": [{"start_time": "22:00", "end_time": "08:00"}]}]}]})
    check = interval_check(cfg.alerting.time_intervals)

    def sent(a: Alert, at: datetime) -> list[str]:
        p = plan(cfg.alerting, [a], at, {}, intervals=check)
        p = plan(cfg.alerting, [a], at + timedelta(seconds=2), p.state, intervals=check)
        return [n.notification.receiver for n in p.notifications]

    critical = alert("c1").model_copy(update={"severity": Severity.critical})
    assert sent(critical, T(2026, 11, 20, 3)) == ["office"]
    assert sent(alert("w1"), T(2026, 11, 20, 3)) == []  # the muted route itself
    assert sent(alert("w2"), T(2026, 11, 20, 10)) == ["leaders"]


def test_a_night_range_belongs_to_the_day_it_began(tmp_path):
    cfg = make_cfg(tmp_path, alerting={
        "route": {"receiver": "office"}, "receivers": [{"name": "office"}],
        "time_intervals": [
            {"name": "工作日夜间", "time_intervals": [
                {"times": [{"start_time": "22:00", "end_time": "07:00"}],
                 "weekdays": ["monday:friday"]}]},
            {"name": "休息日夜间", "time_intervals": [
                {"times": [{"start_time": "22:00", "end_time": "07:00"}], "off_days": True}]}]})
    check = interval_check(cfg.alerting.time_intervals)
    night = "工作日夜间"
    assert check(night, T(2026, 11, 20, 23)) is True  # Friday night ...
    assert check(night, T(2026, 11, 21, 2)) is True  # ... runs into Saturday morning
    assert check(night, T(2026, 11, 21, 23)) is False  # Saturday night is not a workday's
    assert check(night, T(2026, 11, 23, 2)) is False  # nor is Sunday night's tail
    assert check(night, T(2026, 11, 23, 23)) is True  # Monday night
    assert check(night, T(2026, 11, 24, 8)) is False  # after the range
    # 国庆 2026-10-01..07, then a normal Thursday: the last holiday night ends 07:00 on the
    # 8th, and the night of the 30th September (a workday) is not a day off's.
    off = "休息日夜间"
    assert check(off, T(2026, 10, 8, 3)) is True and check(off, T(2026, 10, 8, 23)) is False
    assert check(off, T(2026, 10, 1, 3)) is False and check(off, T(2026, 10, 1, 23)) is True


# -- roster, grid ------------------------------------------------------------------------

def test_roster_shifts_swaps_overrides(tmp_path):
    cfg = make_cfg(tmp_path)
    r = DutyRoster(cfg.duty)
    day, night = r.shifts_of(T(2026, 11, 20).date())
    assert (day.kind, night.kind) == ("day", "night")
    assert night.end == T(2026, 11, 21, 8, 30)
    assert r.at(T(2026, 11, 21, 3)).id == "2026-11-20/night"
    full = r.shifts_of(T(2026, 10, 2).date())
    assert [s.kind for s in full] == ["full"] and full[0].end == T(2026, 10, 3, 8, 30)
    assert r.at(T(2026, 10, 2, 7)).id == "2026-10-01/full"
    raw = {"roster": {"officers": ["甲", "乙", "丙"], "leaders": ["组长"],
                      "overrides": [{"shift": day.id, "officer": "李秀兰"}],
                      "swaps": [{"shifts": [night.id, "2026-11-21/day"]}]}}
    cfg2 = make_cfg(tmp_path, duty={**cfg.duty.model_dump(mode="json"), **raw})
    r2 = DutyRoster(cfg2.duty)
    assert r2.by_id(day.id).officer == "李秀兰"
    assert r2.by_id(night.id).officer == r.by_id("2026-11-21/day").officer
    assert r2.by_id("2026-11-21/day").officer == night.officer


def test_an_override_of_a_shift_the_day_does_not_have_is_a_config_error(tmp_path):
    from yuqing.config import ConfigError

    # 2026-10-01 (国庆) is one 24-hour shift and 2026-11-18 a configured sensitive day:
    # an override of their "day" shift was skipped without a word and the officer who
    # asked for the day off stayed on duty.
    base = make_cfg(tmp_path).duty.model_dump(mode="json")
    for shift in ("2026-10-01/day", "2026-11-18/night"):
        raw = {**base, "roster": {**base["roster"],
                                  "overrides": [{"shift": shift, "officer": "丙"}],
                                  "swaps": [{"shifts": ["2026-11-20/day", shift]}]}}
        with pytest.raises(ConfigError) as exc:
            make_cfg(tmp_path, duty=raw)
        day = shift.split("/")[0]
        assert (f"duty.roster.overrides[0].shift: {shift} does not exist (that day has "
                f"{day}/full)") in str(exc.value)
        assert f"duty.roster.swaps[0].shifts[1]: {shift} does not exist" in str(exc.value)
    ok = {**base, "roster": {**base["roster"],
                             "overrides": [{"shift": "2026-10-01/full", "officer": "丙"}]}}
    assert DutyRoster(make_cfg(tmp_path, duty=ok).duty).at(T(2026, 10, 1, 12)).officer == "丙"


def test_grid_and_on_duty_expansion(tmp_path):
    cfg = make_cfg(tmp_path, alerting={
        "route": {"receiver": "@on-duty", "group_wait": "1s"}, "receivers": []})
    now = T(2026, 11, 20, 10)
    p = plan(cfg.alerting, [alert()], now, {})
    p = plan(cfg.alerting, [alert()], now + timedelta(seconds=2), p.state)
    expanded = expand_plan(cfg, p, now)
    officer = DutyRoster(cfg.duty).at(now).officer
    got = [n.notification.receiver for n in expanded.notifications]
    # on duty, and the grid: 河口镇's leader 李秀兰 and 县水利局's liaison
    assert got == [f"person:{officer}", "person:李秀兰", "person:水利联络员"]
    assert len({n.notification.id for n in expanded.notifications}) == 3
    eff = effective_alerting(cfg)
    assert eff.receiver("person:李秀兰").channels
    other = expand_plan(cfg, plan(cfg.alerting, [alert("b", "青山乡")], now + timedelta(
        seconds=2), p.state), now)
    assert "person:李秀兰" not in [n.notification.receiver for n in other.notifications]


def test_an_event_about_two_townships_reaches_both_leaders_and_the_office(tmp_path):
    # Detection labels an event with its most frequent township and lists every township
    # and place in ``places``: 城关镇's leader was never told of a shared event.
    cfg = make_cfg(tmp_path, alerting={
        "route": {"receiver": "office", "group_wait": "1s"},
        "receivers": [{"name": "office", "channels": channel("X")}]})
    people = [*cfg.duty.people, cfg.duty.people[0].model_copy(update={"name": "王建国"})]
    cfg = cfg.model_copy(update={"duty": cfg.duty.model_copy(update={"people": people})})
    now = T(2026, 11, 20, 10)
    shared = alert("e1").model_copy(update={"places": ["河口镇", "城关镇"]})
    p = plan(cfg.alerting, [shared], now, {})
    p = plan(cfg.alerting, [shared], now + timedelta(seconds=2), p.state)
    got = [n.notification.receiver for n in expand_plan(cfg, p, now).notifications]
    assert got == ["office", "person:王建国", "person:李秀兰", "person:水利联络员"]
    # A community of 城关镇 reaches 城关镇's leader, and only the places named count.
    village = alert("v1", "").model_copy(update={"labels": {}, "places": ["东关社区"]})
    p = plan(cfg.alerting, [village], now, {})
    p = plan(cfg.alerting, [village], now + timedelta(seconds=2), p.state)
    got = [n.notification.receiver for n in expand_plan(cfg, p, now).notifications]
    assert got == ["office", "person:王建国"]


def test_a_special_receiver_meaning_nobody_goes_to_the_root_receiver(tmp_path):
    # 青山乡 has nobody in the grid; the plan already counted the group as sent, so a
    # dropped notification would never be retried: the root receiver answers instead.
    cfg = make_cfg(tmp_path, alerting={
        "route": {"receiver": "@on-duty", "group_wait": "1s", "routes": [
            {"matchers": ['severity="warning"'], "receiver": "@grid"}]},
        "receivers": []})
    now = T(2026, 11, 20, 10)
    far = alert("b", "青山乡").model_copy(update={"places": []})
    p = plan(cfg.alerting, [far], now, {})
    p = plan(cfg.alerting, [far], now + timedelta(seconds=2), p.state)
    assert [n.notification.receiver for n in p.notifications] == ["@grid"]
    got = [n.notification.receiver for n in expand_plan(cfg, p, now).notifications]
    assert got == [f"person:{DutyRoster(cfg.duty).at(now).officer}"]


def test_a_person_without_channels_hands_messages_to_the_root_receiver(tmp_path,
                                                                      monkeypatch):
    from hooks import Hook

    from alerts.delivery import deliver_due

    office = Hook()
    try:
        monkeypatch.setenv("OFFICE", office.url("/office"))
        cfg = make_cfg(tmp_path, alerting={
            "route": {"receiver": "office"},
            "receivers": [{"name": "office", "channels": channel("OFFICE")}]})
        people = [p.model_copy(update={"channels": []}) if p.name == "甲" else p
                  for p in cfg.duty.people]
        cfg = cfg.model_copy(update={"duty": cfg.duty.model_copy(update={"people": people})})
        ob = state.open_outbox(cfg)
        now = T(2026, 11, 20, 10)
        with ob.transaction() as tx:
            state.add_message(tx, "n1", "person:甲", "heartbeat", "心跳", "正文", now)
        report = deliver_due(effective_alerting(cfg), ob, now)
        assert report.failed_over == 1 and report.blackholed == 0
        assert len(office.accepted) == 1 and ob.get("n1").fallback_to == "office"
    finally:
        office.stop()


def test_a_message_nobody_can_catch_is_a_config_error_not_dropped(tmp_path, monkeypatch):
    from hooks import Hook

    from alerts.delivery import deliver_due
    from yuqing.config import ConfigError

    # The office head has no channels and the root route is @on-duty: their escalation
    # was marked sent with "nothing sent", at 3 a.m., telling no one.
    base = make_cfg(tmp_path).duty.model_dump(mode="json")
    people = [{**p, "channels": []} if p["name"] == "主任" else p for p in base["people"]]
    on_duty = {"route": {"receiver": "@on-duty"}, "receivers": []}
    with pytest.raises(ConfigError) as exc:
        make_cfg(tmp_path, alerting=on_duty, duty={**base, "people": people})
    assert "duty.people[4].channels: '主任' has none" in str(exc.value)
    # A root route that can mean nobody catches nothing: alerts stayed "@on-duty" forever.
    with pytest.raises(ConfigError) as exc:
        make_cfg(tmp_path, alerting=on_duty, duty={})
    assert ("alerting.route.receiver: '@on-duty' means nobody: duty.roster lists no "
            "on-duty") in str(exc.value)
    # A fixed person at the root does catch: the office head's message reaches them.
    office = Hook()
    try:
        monkeypatch.setenv("OFFICE", office.url("/office"))
        people = [{**p, "channels": channel("OFFICE")} if p["name"] == "甲" else p
                  for p in people]
        cfg = make_cfg(tmp_path, alerting={"route": {"receiver": "person:甲"},
                                           "receivers": []}, duty={**base, "people": people})
        ob = state.open_outbox(cfg)
        now = T(2026, 11, 20, 3)
        with ob.transaction() as tx:
            state.add_message(tx, "n1", "person:主任", "escalation", "升级", "正文", now)
        report = deliver_due(effective_alerting(cfg), ob, now)
        assert report.blackholed == 0 and len(office.accepted) == 1
        assert ob.get("n1").fallback_to == "person:甲"
    finally:
        office.stop()


def test_check_config_names_unknown_roster_people(tmp_path):
    from yuqing.config import ConfigError

    with pytest.raises(ConfigError) as exc:
        make_cfg(tmp_path, duty={"people": [{"name": "甲"}],
                                 "roster": {"officers": ["甲", "乙"]}})
    assert "duty.roster.officers[1]: '乙' is not in duty.people" in str(exc.value)


# -- escalation --------------------------------------------------------------------------

def test_escalation_steps_until_ack_and_no_repeats(tmp_path):
    cfg = make_cfg(tmp_path)
    ob = state.open_outbox(cfg)
    t0 = T(2026, 11, 20, 10)
    a = alert(fired=t0)
    assert escalate(cfg, ob, [(a, False)], t0 + timedelta(hours=1)).escalated == []  # unsent
    with ob.transaction() as tx:
        state.add_message(tx, "n1", "person:甲", "first", "t", "b", t0, [a])

    def at(minutes: int, acked: bool = False):
        return escalate(cfg, ob, [(a, acked)], t0 + timedelta(minutes=minutes)).escalated

    assert at(29) == []  # normal level: 30 minutes
    assert at(30) == [("a1", 1, ["person:组长"])]
    assert at(30) == [] and at(59) == []  # replaying the same minute sends nothing
    assert at(60) == [("a1", 2, ["person:主任"])]
    assert at(90) == [("a1", 3, ["person:主任"])]  # the last step, again and again
    # Step 3 could not be delivered yet (say the channel is down: it waits for a retry).
    ob.mark_sent(escalation_id("a1", 1, "person:组长"), t0 + timedelta(minutes=31))
    ob.mark_sent(escalation_id("a1", 2, "person:主任"), t0 + timedelta(minutes=61))
    assert at(120, acked=True) == []  # acknowledged: stops ...
    rows = [r for r in ob.rows() if r.kind == "escalation"]
    assert [r.receiver for r in rows] == ["person:组长", "person:主任", "person:主任"]
    assert "无人确认" in rows[0].body
    # ... and the step still waiting is cancelled, not sent late to wake the office head.
    assert [r.status for r in rows] == ["sent", "sent", "cancelled"]
    assert rows[2].last_error == "cancelled: alert acknowledged before delivery"
    assert all(r.kind != "escalation" for r in ob.due(t0 + timedelta(days=1)))
    # A holiday escalates faster: 15 minutes.
    h0 = T(2026, 10, 2, 10)
    b = alert("b1", fired=h0)
    with ob.transaction() as tx:
        state.add_message(tx, "n2", "person:甲", "first", "t", "b", h0, [b])
    assert escalate(cfg, ob, [(b, False)], h0 + timedelta(minutes=14)).escalated == []
    assert escalate(cfg, ob, [(b, False)], h0 + timedelta(minutes=15)).escalated


def test_a_step_that_means_nobody_goes_straight_to_the_next(tmp_path):
    cfg = make_cfg(tmp_path)
    roster = cfg.duty.roster.model_copy(update={"leaders": []})  # no shift leader listed
    cfg = cfg.model_copy(update={"duty": cfg.duty.model_copy(update={"roster": roster})})
    ob = state.open_outbox(cfg)
    t0 = T(2026, 11, 20, 10)
    a = alert(fired=t0)
    with ob.transaction() as tx:
        state.add_message(tx, "n1", "person:甲", "first", "t", "b", t0, [a])
    # Not half an hour later: the office head at once.
    got = escalate(cfg, ob, [(a, False)], t0 + timedelta(minutes=30)).escalated
    assert got == [("a1", 2, ["person:主任"])]
    nobody = roster.model_copy(update={"office_head": None})
    cfg = cfg.model_copy(update={"duty": cfg.duty.model_copy(update={"roster": nobody})})
    b = alert("b1", fired=t0)
    with ob.transaction() as tx:
        state.add_message(tx, "n2", "person:甲", "first", "t", "b", t0, [b])
    # The whole chain means nobody: the root route's receiver, not a silent step.
    [(aid, step, to)] = escalate(cfg, ob, [(b, False)], t0 + timedelta(minutes=30)).escalated
    assert (aid, step) == ("b1", 2) and to == [cfg.alerting.route.receiver] and to != [""]


def test_quiet_hours_follow_the_night_they_belong_to(tmp_path):
    quiet = make_cfg(tmp_path).watch.quiet
    assert quiet(T(2026, 11, 20, 23)) and quiet(T(2026, 11, 21, 6, 59))
    assert not quiet(T(2026, 11, 21, 7)) and not quiet(T(2026, 11, 20, 21, 59))
    # 劳动节 2026-05-01..05: the night before it is an ordinary night, quiet to the end; the
    # last holiday's night is still the 24-hour watch's, to its end.
    assert quiet(T(2026, 4, 30, 23)) and quiet(T(2026, 5, 1, 3))
    assert not quiet(T(2026, 5, 5, 23)) and not quiet(T(2026, 5, 6, 3))
    assert quiet(T(2026, 5, 6, 23))


def test_quiet_hours_hold_escalations_of_non_critical_alerts_until_morning(tmp_path):
    cfg = make_cfg(tmp_path)
    ob = state.open_outbox(cfg)
    t0 = T(2026, 11, 20, 21, 50)  # a Friday at the normal level; quiet from 22:00
    warn = alert("w1", fired=t0)
    crit = alert("c1", fired=t0).model_copy(update={"severity": Severity.critical})
    with ob.transaction() as tx:
        for a in (warn, crit):
            state.add_message(tx, f"n-{a.id}", "person:甲", "first", "t", "b", t0, [a])

    def steps(at: datetime) -> list[tuple[str, int]]:
        got = escalate(cfg, ob, [(warn, False), (crit, False)], at).escalated
        return [(aid, step) for aid, step, _ in got]

    assert steps(T(2026, 11, 20, 22, 20)) == [("c1", 1)]  # a critical one wakes people
    assert steps(T(2026, 11, 21, 3, 0)) == [("c1", 2)]
    assert steps(T(2026, 11, 21, 6, 59)) == [("c1", 3)]
    # 07:00: the warning takes one step (the shift leader), not one per missed half hour.
    assert steps(T(2026, 11, 21, 7, 0)) == [("w1", 1)]
    # On a holiday the watch has no night: 国庆 2026-10-02 02:00 escalates a warning.
    h0 = T(2026, 10, 2, 1, 30)
    hw = alert("h1", fired=h0)
    with ob.transaction() as tx:
        state.add_message(tx, "n-h1", "person:甲", "first", "t", "b", h0, [hw])
    assert escalate(cfg, ob, [(hw, False)], T(2026, 10, 2, 2, 0)).escalated


def test_the_last_holiday_nights_escalation_keeps_the_holiday_wait(tmp_path):
    # 国庆's last day is 10-07; its 24-hour shift runs to 08:30 on 10-08. At 02:00 the
    # holiday watch still holds: 15 minutes, not the workday's 30.
    cfg = make_cfg(tmp_path)
    ob = state.open_outbox(cfg)
    t0 = T(2026, 10, 8, 1, 40)
    assert DutyRoster(cfg.duty).at(t0).kind == "full"
    a = alert(fired=t0)
    with ob.transaction() as tx:
        state.add_message(tx, "n1", "person:甲", "first", "t", "b", t0, [a])
    assert escalate(cfg, ob, [(a, False)], t0 + timedelta(minutes=16)).escalated


def test_resolved_alert_cancels_its_pending_escalation(tmp_path):
    cfg = make_cfg(tmp_path)
    ob = state.open_outbox(cfg)
    t0 = T(2026, 11, 20, 10)
    a = alert(fired=t0)
    with ob.transaction() as tx:
        state.add_message(tx, "n1", "person:甲", "first", "t", "b", t0, [a])
    assert escalate(cfg, ob, [(a, False)], t0 + timedelta(minutes=30)).escalated
    resolved = a.model_copy(update={"status": AlertStatus.resolved})
    report = escalate(cfg, ob, [(resolved, False)], t0 + timedelta(minutes=40))
    assert report.cancelled == [escalation_id("a1", 1, "person:组长")]
    assert ob.pending_groups("escalation:") == []
    assert ob.get("n1").status == "pending"  # other messages are not touched


def test_a_silence_stops_escalation_as_an_acknowledgement_does(tmp_path):
    from alerts.routing import mute_reasons
    from alerts.silences import Silence

    cfg = make_cfg(tmp_path)
    ob = state.open_outbox(cfg)
    t0 = T(2026, 11, 21, 0, 30)
    a = alert(fired=t0).model_copy(update={"severity": Severity.critical})
    with ob.transaction() as tx:
        state.add_message(tx, "n1", "person:甲", "first", "t", "b", t0, [a])
    assert escalate(cfg, ob, [(a, False)], t0 + timedelta(minutes=30)).escalated
    # 01:02 the officer silences it till 07:00: 水厂检修, known and in hand.
    sil = Silence.create(['township="河口镇"'], starts_at=T(2026, 11, 21, 1, 2),
                         ends_at=T(2026, 11, 21, 7, 0), created_by="甲", comment="水厂检修",
                         now=T(2026, 11, 21, 1, 2))

    def at(t: datetime):
        return escalate(cfg, ob, [(a, False)], t, mute_reasons(cfg.alerting, [a], t, [sil]))

    first = at(T(2026, 11, 21, 1, 5))  # step 1, still undelivered, is called off
    assert first.cancelled == [escalation_id("a1", 1, "person:组长")] and not first.escalated
    assert "silenced by" in (ob.get(first.cancelled[0]).last_error or "")
    assert [at(T(2026, 11, 21, h, 31)).escalated for h in range(1, 7)] == [[]] * 6
    assert at(T(2026, 11, 21, 7, 1)).escalated  # the silence ended, nobody acknowledged


def test_outbox_from_before_cancelled_existed_is_migrated(tmp_path):
    import sqlite3

    from alerts.outbox import SCHEMA, Outbox

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    v1 = re.sub(r",\s*'cancelled'", "", SCHEMA)
    assert v1 != SCHEMA
    old.executescript(v1)
    old.execute("INSERT INTO notifications (id, receiver, group_key, kind, alert_ids, alerts, "
                "title, body, created_at, status, next_attempt_at, updated_at) VALUES "
                "('x', 'r', 'escalation:a', 'escalation', '[]', '[]', 't', 'b', 1, 'pending', "
                "1, 1)")
    old.commit()
    assert "'cancelled'" not in old.execute("SELECT sql FROM sqlite_master WHERE "
                                            "name='notifications'").fetchone()[0]
    old.close()
    ob = Outbox(path)
    assert ob.get("x").status == "pending"
    assert ob.cancel_pending("escalation:a", "cancelled: test", T(2026, 11, 20, 10)) == ["x"]
    assert ob.get("x").status == "cancelled"
    assert Outbox(path).get("x").status == "cancelled"  # reopening migrates nothing twice


# -- heartbeat, crawl health ------------------------------------------------------------

def test_heartbeat_content_and_once_per_shift(tmp_path):
    cfg = make_cfg(tmp_path)
    from duty.health import SourceHealth

    snap = Snapshot(sources=[SourceHealth("bbs", "论坛", "silent", None, "已 2.0 天没有新内容"),
                             SourceHealth("news", "新闻", "ok", None, "正常")],
                    items=42, items_since=T(2026, 12, 1, 8, 30), open_alerts=["河口镇停水"])
    now = T(2026, 12, 1, 9)
    r = DutyRoster(cfg.duty)
    title, body = compose(now, watch_at(now), r.at(now), snap, calendar_warnings(now), "白班开始")
    assert "系统运行中" in title and "日历未知" in title
    assert "信息源：共 2 个，正常 1 个，异常 1 个" in body
    assert "论坛（bbs）沉默" in body and "新增 42 条" in body
    assert "未处置预警：1 条" in body and "河口镇停水" in body
    assert "2027 年法定节假日安排未知" in body
    assert f"值班员 {r.at(now).officer}" in body
    ob = state.open_outbox(cfg)
    first = tick(cfg, ob, T(2026, 11, 20, 9), snap)
    assert len(first) == 1
    assert tick(cfg, ob, T(2026, 11, 20, 12), snap) == []  # same shift, same level
    assert len(tick(cfg, ob, T(2026, 11, 20, 18), snap)) == 1  # night shift
    assert len(tick(cfg, ob, T(2026, 10, 1, 9), snap)) == 1  # 国庆: level change
    bodies = [r.body for r in ob.rows() if r.kind == "heartbeat"]
    [holiday] = [b for b in bodies if "值守级别：节假日值守" in b]
    assert "值守级别变更：常态值守 → 节假日值守" in holiday


def test_a_stuck_delivery_is_in_the_heartbeat_and_fails_the_dead_mans_switch(tmp_path,
                                                                              monkeypatch):
    from hooks import Hook

    from alerts.delivery import deliver_due
    from duty.heartbeat import ping

    robot, switch = Hook(down=True), Hook()
    try:
        monkeypatch.setenv("ROBOT_URL", robot.url("/robot"))
        monkeypatch.setenv("X", robot.url("/people"))
        cfg = make_cfg(tmp_path)
        duty = cfg.duty.model_copy(update={"heartbeat": cfg.duty.heartbeat.model_copy(
            update={"ping_url": switch.url("/ping")})})
        cfg = cfg.model_copy(update={"duty": duty})
        ob = state.open_outbox(cfg)
        alerting = effective_alerting(cfg)
        t0 = T(2026, 11, 20, 9)
        assert len(tick(cfg, ob, t0, Snapshot())) == 1  # the day shift's heartbeat
        with ob.transaction() as tx:
            state.put(tx, "detect.ok_at", t0.isoformat())
        deliver_due(alerting, ob, t0)  # the robot is down: queued, failed, will retry
        assert ping(cfg, ob, t0) == switch.url("/ping")  # not yet stuck for 30 min
        t1 = t0 + timedelta(minutes=31)
        with ob.transaction() as tx:
            state.put(tx, "detect.ok_at", t1.isoformat())
        assert ping(cfg, ob, t1) == switch.url("/ping/fail")
        [news] = tick(cfg, ob, t1, Snapshot())  # mid-shift, once
        body = ob.get(news).body
        assert "预警投递失败：1 条通知未送达（person:甲）" in body and "error=500" in body
        assert tick(cfg, ob, t1 + timedelta(minutes=5), Snapshot()) == []
        robot.down = False
        t2 = t1 + timedelta(hours=1)
        assert deliver_due(alerting, ob, t2).sent == 2 and not ob.undelivered(t2)
        with ob.transaction() as tx:
            state.put(tx, "detect.ok_at", t2.isoformat())
        assert ping(cfg, ob, t2) == switch.url("/ping")
    finally:
        robot.stop()
        switch.stop()


def test_a_detection_stall_is_told_once_with_its_error_and_its_end_too(tmp_path):
    from duty import outage

    cfg = make_cfg(tmp_path)
    ob = state.open_outbox(cfg)
    t0 = T(2026, 11, 20, 2, 0)  # the last cycle that completed
    with ob.transaction() as tx:
        state.put(tx, outage.OK_AT, t0.isoformat())
        state.put(tx, outage.FAILED_AT, (t0 + timedelta(minutes=9)).isoformat())
        state.put(tx, outage.ERROR, "ConnectionError: Connection refused (127.0.0.1:9200)")
    assert outage.check(cfg, ob, t0 + timedelta(minutes=9)) == []  # not yet 10 minutes
    assert outage.problem(cfg, ob.db, t0 + timedelta(minutes=9)) is None
    [nid] = outage.check(cfg, ob, t0 + timedelta(minutes=10))
    note = ob.get(nid)
    night = DutyRoster(cfg.duty).at(t0 + timedelta(minutes=10)).officer
    assert note.receiver == f"person:{night}"  # the on-duty officer, woken
    assert note.title == "【舆情监测中断】预警检测已 10 分钟未完成"
    assert "自 11-20 02:00 起预警检测未能完成一轮" in note.body
    assert "最近错误（11-20 02:09）：ConnectionError: Connection refused" in note.body
    for minutes in (11, 30, 600):  # once per interruption, however long it lasts
        assert outage.check(cfg, ob, t0 + timedelta(minutes=minutes)) == []
    # The shift heartbeat meanwhile names it among its problems.
    [beat] = tick(cfg, ob, T(2026, 11, 20, 9), Snapshot())
    assert "⚠ 预警检测自 11-20 02:00 起未完成（7 小时 0 分钟），新增舆情不会预警" in ob.get(
        beat).body
    with ob.transaction() as tx:
        state.put(tx, outage.OK_AT, T(2026, 11, 20, 9, 5).isoformat())
    [rid] = outage.check(cfg, ob, T(2026, 11, 20, 9, 6))
    back = ob.get(rid)
    day = DutyRoster(cfg.duty).at(T(2026, 11, 20, 9, 6)).officer
    assert back.title == "【舆情监测恢复】预警检测已恢复" and back.receiver == f"person:{day}"
    assert day != night
    assert "中断时段：11-20 02:00—11-20 09:05（7 小时 5 分钟）" in back.body
    assert outage.check(cfg, ob, T(2026, 11, 20, 9, 7)) == []
    assert outage.problem(cfg, ob.db, T(2026, 11, 20, 9, 7)) is None
    # A second interruption is a new notice.
    [again] = outage.check(cfg, ob, T(2026, 11, 20, 9, 20))
    assert "自 11-20 09:05 起" in ob.get(again).body
    assert "检测没有报错，也没有完成" in ob.get(again).body  # the error was the last stall's


def test_a_restart_counts_a_stall_from_when_it_began_leading_and_does_not_end_one(
        tmp_path):
    from duty import outage

    cfg = make_cfg(tmp_path)
    ob = state.open_outbox(cfg)
    t0 = T(2026, 11, 20, 2, 0)
    with ob.transaction() as tx:
        state.put(tx, outage.OK_AT, (t0 - timedelta(days=1)).isoformat())
    # Switched off for a day, started again: the day off is not a stall of its own
    # detection (the dead-man's switch is what notices a stopped process) ...
    outage.started(ob, t0)
    assert outage.check(cfg, ob, t0 + timedelta(minutes=1)) == []
    assert outage.problem(cfg, ob.db, t0 + timedelta(minutes=9)) is None
    # ... but its detection not completing is.
    [nid] = outage.check(cfg, ob, t0 + timedelta(minutes=10))
    assert "自 11-20 02:00 起" in ob.get(nid).body
    # A restart in the middle of the stall neither ends it nor tells it twice.
    outage.started(ob, t0 + timedelta(minutes=30))
    for minutes in (31, 45):
        assert outage.check(cfg, ob, t0 + timedelta(minutes=minutes)) == []
    with ob.transaction() as tx:
        state.put(tx, outage.OK_AT, (t0 + timedelta(minutes=46)).isoformat())
    [rid] = outage.check(cfg, ob, t0 + timedelta(minutes=47))
    assert "中断时段：11-20 02:00—11-20 02:46（46 分钟）" in ob.get(rid).body


def test_a_detection_that_never_completes_is_told_and_the_notice_can_be_turned_off(
        tmp_path):
    from duty import outage

    cfg = make_cfg(tmp_path)
    ob = state.open_outbox(cfg)
    t0 = T(2026, 11, 20, 10)
    assert outage.check(cfg, ob, t0) == []  # a fresh install: watching starts now
    [nid] = outage.check(cfg, ob, t0 + timedelta(minutes=10))
    assert "自 11-20 10:00 起" in ob.get(nid).body
    off = cfg.model_copy(update={"duty": cfg.duty.model_copy(update={
        "heartbeat": cfg.duty.heartbeat.model_copy(update={"outage_after": None})})})
    ob2 = state.open_outbox(make_cfg(tmp_path / "other"))
    assert outage.check(off, ob2, t0) == []
    assert outage.check(off, ob2, t0 + timedelta(days=1)) == []
    assert outage.problem(off, ob2.db, t0 + timedelta(days=1)) is None


@pytest.mark.parametrize(("url", "down"), [
    ("https://hc-ping.com/abc", "https://hc-ping.com/abc/fail"),
    ("https://hc-ping.com/abc/?rid=7", "https://hc-ping.com/abc/fail?rid=7"),
    # Uptime Kuma: the status is in the query, where "/fail" would still say up.
    ("http://127.0.0.1:3001/api/push/Ab12?status=up&msg=OK&ping=",
     "http://127.0.0.1:3001/api/push/Ab12?status=down&msg=OK&ping="),
])
def test_the_dead_mans_switch_says_down_in_the_url_form_of_its_service(url, down):
    from duty.heartbeat import fail_url

    assert fail_url(url) == down


def test_crawl_health_alert(tmp_path):
    cfg = make_cfg(tmp_path)
    now = T(2026, 11, 20, 12)
    base = {"source_id": "bbs", "runs": 10, "last_run": now.isoformat(),
            "last_success": now.isoformat(), "median_gap_minutes": 30.0}
    fresh = {**base, "last_new_items_at": (now - timedelta(hours=2)).isoformat()}
    assert health_alerts(cfg, now, {"bbs": fresh}) == []
    silent = {**base, "last_new_items_at": (now - timedelta(days=1)).isoformat()}
    [a] = health_alerts(cfg, now, {"bbs": silent})
    assert a.rule == "crawl_health" and "沉默" in a.title and a.labels == {"source": "bbs"}
    assert health_alerts(cfg, now + timedelta(hours=1), {"bbs": silent})[0].id == a.id
    failing = {**fresh, "last_success": (now - timedelta(hours=4)).isoformat()}
    [f] = health_alerts(cfg, now, {"bbs": failing})
    assert "抓取失败" in f.title and f.id != a.id


def test_calendar_agrees_with_state_council_2007_2026():
    from official_holidays import compare

    days, mismatches = compare()
    assert days == 7305
    assert mismatches == []


def test_calendar_year_out_of_range_is_a_usage_error_naming_the_ranges(capsys):
    for year in ("10000", "-5", "0", "next"):
        with pytest.raises(SystemExit) as exc:
            main(["calendar", f"--year={year}"])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert f"argument --year: '{year}' is not a year in 1..9999" in err
        assert "official holiday calendar covers 2004.." in err and "Traceback" not in err


def test_calendar_lists_the_last_possible_year(capsys):
    assert main(["calendar", "--year", "9999", "--json"]) == 0
    days = json.loads(capsys.readouterr().out)
    assert len(days) == 365 and days[-1]["date"] == "9999-12-31"


def test_calendar_says_weekend_and_warns_about_an_unknown_year_once(capsys):
    assert main(["calendar", "--year", "2026", "--json"]) == 0
    by = {d["date"]: d for d in json.loads(capsys.readouterr().out)}
    assert by["2026-11-21"]["reasons"] == ["周末"]  # a Saturday
    assert by["2026-11-20"]["reasons"] == []  # a Friday
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "yuqing.cli", "calendar", "--year", "2031"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    # The loud warning once, not also the calendar's log line.
    assert proc.stderr.count("2031 年法定节假日安排未知") == 1
    assert "official holiday calendar unknown" not in proc.stderr


def test_a_failed_dead_mans_switch_ping_logs_no_token(tmp_path, monkeypatch, caplog):
    import socket

    from duty.heartbeat import ping

    with socket.socket() as s:  # a port nobody listens on: the ping fails
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Uptime Kuma's push URL: the token is the path, not the query.
    monkeypatch.setenv("PING_URL", f"http://127.0.0.1:{port}/api/push/tok3n5ecret?status=up")
    cfg = make_cfg(tmp_path)
    duty = cfg.duty.model_copy(update={"heartbeat": cfg.duty.heartbeat.model_copy(
        update={"ping_url_env": "PING_URL"})})
    cfg = cfg.model_copy(update={"duty": duty})
    ob = state.open_outbox(cfg)
    with caplog.at_level("WARNING", logger="duty.heartbeat"):
        assert ping(cfg, ob, T(2026, 11, 20, 9), timeout=2) is None
    [record] = [r for r in caplog.records if "dead-man's switch" in r.getMessage()]
    assert f"127.0.0.1:{port}" in record.getMessage()
    assert "tok3n5ecret" not in caplog.text


def test_escalation_counts_from_the_first_notification_that_was_not_cancelled(tmp_path):
    # A first notification dropped for a silence never reached anyone: when the silence
    # ends, the wait before escalating starts from the notification that did go out, not
    # from the dropped one (which would escalate at once).
    from alerts.outbox import Outbox

    ob = Outbox(tmp_path / "outbox.sqlite")
    t0 = datetime(2026, 10, 1, 2, 0, tzinfo=SHANGHAI)
    for nid, at, status in (("n1", t0, "cancelled"), ("n2", t0 + timedelta(hours=5), "sent")):
        ob.db.execute(
            "INSERT INTO notifications (id, receiver, group_key, kind, alert_ids, alerts, "
            "title, body, created_at, status, next_attempt_at, updated_at) "
            "VALUES (?, 'duty', 'g', 'first', ?, '[]', 't', 'b', ?, ?, ?, ?)",
            (nid, json.dumps(["a1"]), at.timestamp(), status, at.timestamp(),
             at.timestamp()))
    assert state.first_notified(ob.db, "a1") == t0 + timedelta(hours=5)
    ob.close()
