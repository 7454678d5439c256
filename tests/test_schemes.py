"""Monitoring schemes: the expression language, in-process matching = Elasticsearch matching."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from helpers import NOW, analyzed

from detection.schemes import SchemeError, from_groups, matches, parse
from yuqing.config import SchemeConfig

TEXTS = [
    "河口镇自来水发黄有异味，水厂没人管",
    "沙湾村停水两天了",
    "河口镇举行供水应急演练，自来水发黄属正常现象",
    "城关镇夜市开市，市民很高兴",
    "老板拖欠工资三个月，讨薪无门",
    "招聘：工资面议，不拖欠",
]


@pytest.mark.parametrize(("expr", "expected"), [
    ("(河口镇|沙湾村) & (自来水|停水) & !演练", [True, True, False, False, False, False]),
    ("河口镇 自来水 -演练", [True, False, False, False, False, False]),
    ("(拖欠|欠薪|讨薪) + 工资 + !招聘", [False, False, False, False, True, False]),
    ("夜市|停水", [False, True, False, True, False, False]),
    ("!(河口镇|城关镇)", [False, True, False, False, True, True]),
])
def test_expressions_match_substrings(expr, expected):
    node = parse(expr)
    assert [matches(node, t) for t in TEXTS] == expected


@pytest.mark.parametrize(("expr", "message"), [
    ("(河口镇|沙湾村", "missing ')'"),
    ("河口镇 &", "ends where a word or '(' was expected"),
    ("| 自来水", "unexpected '|'"),
    ("自来水)", "unexpected ')'"),
])
def test_bad_expressions_say_what_is_wrong(expr, message):
    with pytest.raises(SchemeError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("|", r"\|")):
        parse(expr)


def test_word_groups_are_and_of_ors_with_exclusions():
    node = from_groups(["河口镇", "沙湾村"], ["自来水", "停水"], [], ["演练"])
    assert [matches(node, t) for t in TEXTS] == [True, True, False, False, False, False]
    with pytest.raises(SchemeError, match="at least one word"):
        from_groups([], [], [], ["演练"])


def test_config_rejects_a_scheme_that_does_not_compile():
    with pytest.raises(ValueError, match="missing"):
        SchemeConfig(name="坏", expression="(自来水")
    with pytest.raises(ValueError, match="either expression or word groups"):
        SchemeConfig(name="坏", expression="自来水", subjects=["水"])


@pytest.mark.parametrize("expr", ["(河口镇|沙湾村) & (自来水|停水) & !演练",
                                  "(拖欠|欠薪|讨薪) + 工资 + !招聘", "!(河口镇|城关镇)"])
def test_elasticsearch_query_matches_exactly_what_the_process_matches(store, expr):
    docs = [analyzed(f"http://s.test/{i}", f"帖子{i}", t) for i, t in enumerate(TEXTS)]
    store.index(docs, NOW, refresh=True)
    compiled = SchemeConfig(name="t", expression=expr).compile()
    from_es = {d["id"] for d in store.iter_query(compiled.query())}
    in_process = {d.item.id for d in docs if compiled.match(d.item.title, d.item.text)}
    assert from_es == in_process


def test_scheme_test_command_previews_matches_and_alerts(store, tmp_path):
    # A quiet week of one water complaint a day, then a burst today.
    docs = [analyzed(f"http://s.test/q{i}", "自来水发黄", f"河口镇自来水发黄第{i}天",
                     published=NOW - timedelta(days=i, hours=3)) for i in range(1, 20)]
    docs += [analyzed(f"http://s.test/b{i}", "自来水又发黄了", f"河口镇自来水发黄有异味{i}",
                      published=NOW - timedelta(hours=10 - i)) for i in range(9)]
    docs += [analyzed("http://s.test/x", "夜市", "城关镇夜市开市")]
    store.index(docs, NOW, refresh=True)
    proc = subprocess.run(
        [sys.executable, "-m", "yuqing.cli", "scheme", "test", "供水试验", "--days", "3",
         "--subjects", "自来水", "--events", "发黄", "异味", "--exclude", "演练",
         "--at", NOW.isoformat()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "scheme '供水试验': 11 items in the last 3 days" in out
    assert "would have fired 1 alert(s)" in out and "监测方案「供水试验」" in out
    bad = subprocess.run([sys.executable, "-m", "yuqing.cli", "scheme", "test", "坏",
                          "--expression", "(自来水"], capture_output=True, text=True)
    assert bad.returncode == 2 and "scheme '坏'" in bad.stderr and "missing ')'" in bad.stderr


def test_scheme_test_judges_with_the_configured_calendar_and_factors(store, tmp_path):
    # Six complaints today on one a day: below the normal thresholds (p 4e-4), above those
    # of a configured sensitive period (p < 7.7e-4). The preview answers "would we have
    # been told?" as live detection would, so it must read the calendar it is given.
    import yaml

    docs = [analyzed(f"http://s.test/q{i}", "自来水发黄", f"河口镇自来水发黄第{i}天",
                     published=NOW - timedelta(days=i, hours=3)) for i in range(1, 20)]
    docs += [analyzed(f"http://s.test/b{i}", "自来水又发黄了", f"河口镇自来水发黄有异味{i}",
                      published=NOW - timedelta(hours=6 - i)) for i in range(6)]
    store.index(docs, NOW, refresh=True)
    raw = yaml.safe_load(open("yuqing/data/default.yaml", encoding="utf-8"))
    raw["data_dir"] = str(tmp_path / "data")
    out = []
    for calendar in ({}, {"sensitive_periods": [
            {"name": "重要会议", "start": "2026-11-19", "end": "2026-11-21"}]}):
        path = tmp_path / f"c{len(out)}.yaml"
        path.write_text(yaml.safe_dump({**raw, "calendar": calendar}, allow_unicode=True),
                        encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "yuqing.cli", "--config", str(path), "scheme", "test",
             "供水", "--days", "3", "--subjects", "自来水", "--events", "发黄",
             "--at", NOW.isoformat()], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        out.append(proc.stdout)
    assert "would have fired 0 alert(s)" in out[0], out[0]
    assert "would have fired 1 alert(s)" in out[1], out[1]


# Texts as people type them: Latin letters in any case, full-width letters and digits
# (a Chinese IME's 全角), punctuation or a space inside a phrase, digits glued to letters.
TYPED = [
    "小区WiFi信号太差，投诉无门",
    "小区ｗｉｆｉ又断了",
    "拨打１２３４５热线没人接",
    "打12345热线反映了三次",
    "水质，发黄，根本没法喝",
    "G15高速堵车五小时",
    "ＡＰＰ下载不了，缴费失败",
]


@pytest.mark.parametrize(("expr", "expected"), [
    ("wifi", [True, True, False, False, False, False, False]),
    ("WIFI & 投诉", [True, False, False, False, False, False, False]),
    ("12345 & 热线", [False, False, True, True, False, False, False]),
    ("水质发黄", [False, False, False, False, True, False, False]),
    ("G15", [False, False, False, False, False, True, False]),
    ("G1", [False] * 7),  # not a road of its own: G15's first two characters
    ("app & !wifi", [False, False, False, False, False, False, True]),
    ("ａｐｐ", [False, False, False, False, False, False, True]),
])
def test_a_word_matches_whatever_case_and_width_it_is_typed_in(store, expr, expected):
    """Live detection and the console match schemes in Elasticsearch, replay matches them
    in process: both must find 12345热线 typed in full-width digits and WiFi in any case,
    and agree on every text (a backtest that misses what live detection catches, or the
    reverse, is a wrong backtest)."""
    docs = [analyzed(f"http://s.test/w{i}", f"帖子{i}", t) for i, t in enumerate(TYPED)]
    store.index(docs, NOW, refresh=True)
    compiled = SchemeConfig(name="t", expression=expr).compile()
    in_process = [compiled.match(d.item.title, d.item.text) for d in docs]
    hits = {d["id"] for d in store.iter_query(compiled.query())}
    from_es = [d.item.id in hits for d in docs]
    assert in_process == expected
    assert from_es == expected
