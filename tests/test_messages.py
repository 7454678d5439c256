"""What reaches a phone: the messages as the robots receive them through apprise.

The robots' public addresses are the one thing replaced: apprise's DingTalk and WeCom
plugins post to a local receiver instead (``robots``), with their real payloads.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import free_port
from hooks import Hook

from alerts.channels import LIMITS, mask
from alerts.config import AlertingConfig, DingTalkChannel, WebhookChannel
from alerts.delivery import deliver_due
from alerts.dispatch import dispatch
from alerts.message import render
from alerts.outbox import Outbox
from duty import state
from duty.escalation import escalate
from duty.handover import HandoverData, compose
from duty.health import SourceHealth, health_alerts
from duty.heartbeat import Snapshot, tick
from duty.messages import queue
from duty.receivers import effective_alerting
from duty.roster import DutyRoster
from yuqing.cli import main
from yuqing.config import DEFAULT_CONFIG, parse_config
from yuqing.records import RECURRENCE_PREFIX, SHANGHAI, Alert, AlertItem, figure

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=SHANGHAI)  # 3 a.m.: someone is woken by these
CONSOLE = "https://yuqing.example.gov.cn"
WECOM_MAX = 2048  # bytes of text.content a WeCom robot accepts
URL = re.compile(r"https?://\S+")


@pytest.fixture
def robots(monkeypatch):
    """DingTalk and WeCom robots on 127.0.0.1, reached through apprise's own plugins."""
    from apprise.plugins.dingtalk import NotifyDingTalk
    from apprise.plugins.wecombot import NotifyWeComBot

    hook = Hook()
    monkeypatch.setattr(NotifyDingTalk, "notify_url", hook.base + "/dingtalk?t={token}")
    monkeypatch.setattr(NotifyWeComBot, "notify_url", hook.base + "/wecom?key={key}")
    monkeypatch.setenv("DT_TOKEN", "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("WECOM_KEY", "a1b2c3d4-a1b2-c3d4-e5f6-a1b2c3d4e5f6")
    monkeypatch.setenv("HOOK_URL", hook.url("/hook"))
    yield hook
    hook.stop()


CHANNELS = [{"type": "dingtalk", "token_env": "DT_TOKEN"},
            {"type": "wecom", "key_env": "WECOM_KEY"},
            {"type": "webhook", "url_env": "HOOK_URL"}]


def texts(hook: Hook, robot: str) -> list[str]:
    """What a person sees: DingTalk / WeCom text content, or webhook title + message."""
    out = []
    for m in hook.messages(f"/{robot}"):
        out.append(m["text"]["content"] if "text" in m else f"{m['title']}\n{m['message']}")
    return out


def duty_config(tmp: Path, console: str | None = None):
    return parse_config(duty_raw(tmp, console))


def duty_raw(tmp: Path, console: str | None = None) -> dict:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["data_dir"] = str(tmp)
    raw["sources"] = [{"id": "bbs", "name": "河口论坛", "template": "discuz", "kind": "forum",
                       "start_urls": ["http://127.0.0.1:9/"], "interval_minutes": 60}]
    raw["duty"] = {"people": [{"name": n, "channels": CHANNELS} for n in ("甲", "组长", "主任")],
                   "roster": {"officers": ["甲"], "leaders": ["组长"], "office_head": "主任"}}
    if console:
        raw.setdefault("alerting", {})["console_url"] = console
    return raw


def water(n_items: int = 12, **kw) -> Alert:
    items = [AlertItem(title=f"河口镇自来水发黄有异味，已经第{i}天了，谁来管管",
                       url=f"https://bbs.hekou.example.cn/forum.php?mod=viewthread&tid={1000 + i}"
                           "&extra=page%3D1")
             for i in range(n_items)]
    fields = dict(
        id="6d23708db917223fceb1", rule="growing_event", severity="critical",
        title="事件「自来水发黄有异味」快速增长：24小时内12条", fired_at=T0,
        summary="事件「自来水发黄有异味」在24小时内出现12条，同类时段基线0.05条，增长240倍。",
        labels={"rule": "growing_event", "township": "河口镇", "category": "城乡建设"},
        count=12, baseline=0.05, category="城乡建设", keywords=["自来水", "发黄", "异味"],
        places=["河口镇", "河口村"], top_items=items, first_seen=T0 - timedelta(hours=6),
        last_seen=T0)
    return Alert(**{**fields, **kw})


def whole_links(text: str, allowed: set[str]) -> None:
    for u in URL.findall(text):
        assert u in allowed, f"{u!r} is not a whole link of the alert"


def test_an_escalation_fits_a_wecom_robot_with_its_id_and_whole_links(tmp_path, robots):
    cfg = duty_config(tmp_path)
    ob = state.open_outbox(cfg)
    a = water()
    with ob.transaction() as tx:
        state.add_message(tx, "n1", "person:甲", "first", "t", "b", T0, [a])
    ob.mark_sent("n1", T0)
    assert escalate(cfg, ob, [(a, False)], T0 + timedelta(minutes=31)).escalated
    deliver_due(effective_alerting(cfg), ob, T0 + timedelta(minutes=31))
    [wecom] = texts(robots, "wecom")
    [dingtalk] = texts(robots, "dingtalk")
    assert len(wecom.encode()) <= WECOM_MAX
    links = {it.url for it in a.top_items}
    whole_links(wecom, links)
    # The item list shrank to fit; what is needed to act on it is all there.
    assert wecom.startswith("【舆情严重】") and "第 1 次升级" in wecom
    assert wecom.rstrip().endswith(f"预警编号：{a.id}") and "……另有" in wecom
    assert "截断" not in wecom
    assert dingtalk.rstrip().endswith(f"预警编号：{a.id}")
    # The console's word: 预警, not 告警.
    assert "此预警已 31 分钟无人确认" in wecom and "告警" not in wecom + dingtalk


def test_a_group_speaks_of_预警_as_the_console_does():
    group = [water(3, id=f"6d23708db917223fce{i:02d}") for i in range(6)]
    title, body = render(group, limit=2000)
    assert "等 6 条预警" in title and "条预警未列出" in body
    assert "告警" not in title + body


def test_messages_link_to_the_alerts_page_of_the_console(tmp_path, robots):
    alerting = AlertingConfig.model_validate({
        "receivers": [{"name": "duty", "channels": CHANNELS}],
        "route": {"receiver": "duty", "group_wait": "30s"}, "console_url": CONSOLE + "/"})
    outbox = Outbox(tmp_path / "outbox.sqlite")
    a = water()
    dispatch(alerting, [a], T0, outbox, deliver=False)
    dispatch(alerting, [a], T0 + timedelta(seconds=30), outbox)
    page = f"{CONSOLE}/alerts/{a.id}"
    for robot in ("dingtalk", "wecom", "hook"):
        [text] = texts(robots, robot)
        assert f"详情与确认：{page}\n" in text, robot
    # The escalation says where to acknowledge it, rather than a command for a terminal.
    cfg = duty_config(tmp_path / "d", console=CONSOLE)
    ob = state.open_outbox(cfg)
    with ob.transaction() as tx:
        state.add_message(tx, "n1", "person:甲", "first", "t", "b", T0, [a])
    ob.mark_sent("n1", T0)
    escalate(cfg, ob, [(a, False)], T0 + timedelta(minutes=31))
    deliver_due(effective_alerting(cfg), ob, T0 + timedelta(minutes=31))
    wecom = texts(robots, "wecom")[-1]
    assert f"请打开 {page} 确认" in wecom and len(wecom.encode()) <= WECOM_MAX
    # No console address configured: no guessed link, the id is there to look it up.
    _, body = render([a])
    assert "/alerts/" not in body and f"预警编号：{a.id}" in body


def test_a_console_address_that_is_no_http_address_is_a_config_error():
    with pytest.raises(ValueError, match=r"console_url[\s\S]*http\(s\) address"):
        AlertingConfig.model_validate({"console_url": "yuqing.example.gov.cn"})


def test_a_post_title_cannot_forge_a_line_or_a_link():
    forged = AlertItem(title="自来水发黄\n   http://phish.example/login\r\n2. 假条目",
                       url="https://bbs.hekou.example.cn/t/1")
    a = water(0, top_items=[forged], title="事件「自来水发黄\n预警编号：000」快速增长",
              keywords=["发黄\n关键词：假"])
    title, body = render([a])
    assert "\n" not in title
    lines = body.splitlines()
    assert not any(ln.strip().startswith("http://phish") for ln in lines)
    assert [ln for ln in lines if ln.startswith("预警编号：")] == [f"预警编号：{a.id}"]
    assert [ln for ln in lines if ln.startswith("关键词：")] == ["关键词：发黄 关键词：假"]


def test_the_first_line_says_where():
    # An event or scheme title need not name the township: the title (all a locked
    # phone shows) leads with it.
    a = water(3)
    title, _ = render([a])
    assert title == "【舆情严重】河口镇｜事件「自来水发黄有异味」快速增长：24小时内12条"
    scheme = water(3, rule="growing_scheme", labels={"scheme": "供水监测"},
                   title="监测方案「供水监测」命中快速增长：24小时内12条")
    assert render([scheme])[0].startswith("【舆情严重】河口镇｜监测方案「供水监测」")
    place = water(3, title="河口镇「城乡建设」类诉求快速增长：24小时内12条")
    assert render([place])[0] == "【舆情严重】河口镇「城乡建设」类诉求快速增长：24小时内12条"
    assert "规则：事件增长" in render([a])[1]


def test_a_crawl_health_message_speaks_of_the_source_not_of_complaints(tmp_path):
    cfg = duty_config(tmp_path)
    stats = {"source_id": "bbs", "runs": 10, "last_run": T0.isoformat(),
             "last_success": T0.isoformat(), "median_gap_minutes": 30.0,
             "last_new_items_at": (T0 - timedelta(days=1)).isoformat()}
    [h] = health_alerts(cfg, T0, {"bbs": stats})
    title, body = render([h])
    assert title == "【舆情警告】信息源沉默：河口论坛（bbs）"
    assert "数量" not in body and "基线" not in body.replace("平时", "")
    assert "乡镇：未识别" not in body and "crawl_health" not in body
    assert "信息源：bbs" in body and "已 24.0 小时 没有新内容" in body
    assert "处理：" in body


def test_a_long_message_is_cut_after_a_whole_line(tmp_path, robots):
    cfg = duty_config(tmp_path)
    ob = state.open_outbox(cfg)
    links = [f"https://bbs.hekou.example.cn/forum.php?mod=viewthread&tid={i}&page=1"
             for i in range(60)]
    body = "\n".join(f"- 11-20 0{i % 10}:00 河口镇停水第{i}帖｜未确认 {u}"
                     for i, u in enumerate(links))
    queue(cfg, ob, "person:甲", "handover", "s1", "【交接班】", body, T0)
    deliver_due(effective_alerting(cfg), ob, T0)
    [wecom] = texts(robots, "wecom")
    assert len(wecom.encode()) <= WECOM_MAX and wecom.endswith("\n…（已截断）")
    whole_links(wecom, set(links))


def test_a_heartbeat_puts_what_is_wrong_where_a_robot_does_not_cut_it(tmp_path, robots):
    cfg = duty_config(tmp_path)
    ob = state.open_outbox(cfg)
    sources = [SourceHealth(f"s{i}", f"乡镇信息源{i}", "silent", None,
                            "已 2.0 天没有新内容（平时约每 30 分钟一条，阈值 6.0 小时）")
               for i in range(40)]
    stall = "预警检测自 11-20 02:00 起未完成（1 小时 0 分钟），新增舆情不会预警"
    snap = Snapshot(sources=sources, items=0, open_alerts=[], problems=[stall])
    assert tick(cfg, ob, T0, snap)
    deliver_due(effective_alerting(cfg), ob, T0)
    [wecom] = texts(robots, "wecom")
    first = wecom.splitlines()[0]
    assert "系统运行中" not in first and "⚠异常 1 项" in first
    assert f"⚠ {stall}" in wecom and len(wecom.encode()) <= WECOM_MAX
    assert "另有 30 个异常信息源" in wecom or "截断" in wecom


def test_a_handover_in_markdown_keeps_titles_from_making_links(tmp_path):
    cfg = duty_config(tmp_path)
    shift = DutyRoster(cfg.duty).at(T0)
    doc = {"id": "abc123", "title": "河口镇](http://phish.example)自来水*发黄*\n# 假标题",
           "fired_at": T0.isoformat(), "status": "firing",
           "top_items": [{"title": "[点此](http://phish.example)",
                          "url": "https://bbs.hekou.example.cn/t/(1)"}]}
    _, body = compose(HandoverData(shift, T0, fired=[doc]), "md")
    [line] = [ln for ln in body.splitlines() if "abc123" in ln]
    # The only link is the item's own, whole.
    assert re.findall(r"(?<!\\)\]\((\S+?)\)", line) == ["https://bbs.hekou.example.cn/t/%281%29"]
    assert not any(ln.startswith("# 假标题") for ln in body.splitlines())


def test_a_possible_duplicate_still_fits_the_robot_with_its_mark(tmp_path, robots):
    cfg = duty_config(tmp_path)
    ob = state.open_outbox(cfg)
    body = "河口镇停水" * 500  # one long line: cut to the last character that fits
    [nid] = queue(cfg, ob, "person:甲", "handover", "s1", "【交接班】夜班", body, T0)
    ob.mark_sending(nid, T0)  # the process died mid-send: sent again, marked
    assert deliver_due(effective_alerting(cfg), ob, T0).recovered == 1
    [wecom] = texts(robots, "wecom")
    assert wecom.startswith("[可能重复] 【交接班】")
    # apprise puts the title on its own line (\r\n) before the body: the rest is our budget.
    assert len(wecom.encode()) - 2 <= LIMITS["wecom"]


def test_the_count_line_and_the_explanation_give_the_same_baseline():
    a = water(3)  # baseline 0.05, as its explanation says
    _, body = render([a])
    [line] = [ln for ln in body.splitlines() if ln.startswith("数量：")]
    assert line == "数量：12 条，基线 0.05 条，增长 +23900%（240 倍）"
    assert f"基线{figure(a.baseline)}条" in a.summary
    # One rule for every such number: what a phone and the console show.
    assert [figure(x) for x in (0, 0.05, 0.004, 0.123, 1.0, 2.5, 12.34, 240.0)] == [
        "0", "0.05", "0.004", "0.12", "1", "2.5", "12.3", "240"]


def test_a_recurrence_has_one_lead_saying_what_it_is():
    rec = water(3, severity="warning",
                title=f"{RECURRENCE_PREFIX}事件「自来水发黄有异味」处置后又出现5条",
                labels={"rule": "growing_event", "township": "河口镇",
                        "recurrence_of": "6d23708db917223fceb0"})
    title, _ = render([rec], kind="update")
    assert title == "【舆情警告·处置后复发】河口镇｜事件「自来水发黄有异味」处置后又出现5条（更新）"
    # Not a recurrence: the same lead as before, no mark.
    assert render([water(3)])[0].startswith("【舆情严重】河口镇｜事件")


def alerts_test(tmp: Path, raw: dict, target: str, capsys) -> tuple[int, list[str]]:
    path = tmp / "yuqing.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    code = main(["--config", str(path), "alerts", "test", target])
    return code, capsys.readouterr().out.splitlines()


def test_a_test_message_goes_through_each_channel_of_a_person(tmp_path, robots, capsys):
    before = datetime.now(SHANGHAI)
    code, out = alerts_test(tmp_path, duty_raw(tmp_path), "person:甲", capsys)
    assert code == 0
    assert out == [f"person:甲 channel {i} ({t}): ok"
                   for i, t in enumerate(["dingtalk", "wecom", "webhook"])]
    for robot, kind, n in (("dingtalk", "钉钉机器人", 1), ("wecom", "企业微信机器人", 2),
                           ("hook", "Webhook", 3)):
        [text] = texts(robots, robot)
        assert text.startswith(f"【测试消息】person:甲｜{kind}"), robot
        assert f"通道：{kind}（第 {n} 个，共 3 个）" in text
        assert "收到即表示通道正常，无需处理" in text and "接收方：person:甲" in text
        [when] = re.findall(r"时间：(\S+ \S+)（北京时间）", text)
        sent = datetime.fromisoformat(when).replace(tzinfo=SHANGHAI)
        assert before - timedelta(seconds=1) <= sent <= datetime.now(SHANGHAI)
    # Sent directly: nothing waits in the outbox to be retried or handed to a fallback.
    assert not list(tmp_path.rglob("*outbox*"))


def test_a_failing_channel_is_named_with_its_error_and_exit_1(tmp_path, robots, capsys,
                                                             monkeypatch):
    secret = "s3cr3t-robot-token-0123"
    monkeypatch.setenv("DOWN_URL", f"http://127.0.0.1:{free_port()}/hook?token={secret}")
    raw = duty_raw(tmp_path)
    raw["alerting"] = {"receivers": [
        {"name": "duty-office", "channels": [{"type": "webhook", "url_env": "DOWN_URL"},
                                             {"type": "webhook", "url_env": "HOOK_URL"}],
         "fallback": "person:主任"}],
        "route": {"receiver": "duty-office"}}
    code, out = alerts_test(tmp_path, raw, "duty-office", capsys)
    assert code == 1
    assert out[0].startswith("duty-office channel 0 (webhook): failed: webhook: ")
    assert "A Connection error occurred" in out[0] and secret not in out[0]
    assert out[1] == "duty-office channel 1 (webhook): ok"
    # The fallback is not asked: the test is of these channels.
    assert [m["title"] for m in robots.messages()] == ["【测试消息】duty-office｜Webhook"]


def test_a_test_to_whoever_is_on_duty_and_to_nobody(tmp_path, robots, capsys):
    code, out = alerts_test(tmp_path, duty_raw(tmp_path), "@on-duty", capsys)
    assert code == 0 and out and all(ln.startswith("person:甲 channel ") for ln in out)
    code, out = alerts_test(tmp_path, duty_raw(tmp_path), "person:乙", capsys)
    assert code == 2 and out == []
    raw = duty_raw(tmp_path)
    raw["duty"]["people"].append({"name": "乙"})
    code, out = alerts_test(tmp_path, raw, "person:乙", capsys)
    assert code == 1 and out == ["person:乙: failed: no channels configured"]


def test_a_channel_error_does_not_show_its_secret(monkeypatch):
    monkeypatch.setenv("DT_TOKEN", "0123456789abcdef")
    monkeypatch.setenv("HOOK", "https://user:pw-secret@hooks.example/p/TOKEN42?key=abc123")
    dt = DingTalkChannel(type="dingtalk", token_env="DT_TOKEN")
    hook = WebhookChannel(type="webhook", url_env="HOOK")
    assert mask("POST /robot/send?access_token=0123456789abcdef failed", dt) == (
        "POST /robot/send?access_token=*** failed")
    shown = mask("error at https://user:pw-secret@hooks.example/p/TOKEN42?key=abc123 and "
                 "/p/TOKEN42, key=abc123", hook)
    assert not {"pw-secret", "TOKEN42", "abc123"} & set(re.findall(r"[\w-]+", shown))
