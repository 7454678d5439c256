"""Schemes and search find traditional reposts (河口鎮) of simplified words (河口镇), and the
in-process match (replay) agrees with Elasticsearch (live detection, console, scheme test)."""

from __future__ import annotations

import random

import pytest
from helpers import NOW, analyzed

from analysis.simplify import KEEP, spellings, table, to_simplified
from yuqing.config import SchemeConfig

TEXTS = [
    "河口鎮停水三天，自來水發黃",       # traditional
    "河口镇停水三天，自来水发黄",       # simplified
    "河口鎮自来水又發黄了",            # mixed, as typed with a half-converting IME
    "小區ＷｉＦｉ訊號太差，撥打１２３４５熱線",  # traditional, full-width Latin and digits
    "河口鎮舉行供水應急演練",           # traditional, an exclusion word
    "房子乾淨，看著不錯",              # KEEP: 乾 and 著 stay as they are
    "房子干净，看着不错",
    "臺風過後停電",                    # 台 has three traditional spellings
]


@pytest.mark.parametrize(("expr", "expected"), [
    ("河口镇 & 停水", [True, True, False, False, False, False, False, False]),
    ("河口鎮 & 停水", [True, True, False, False, False, False, False, False]),  # typed traditional
    ("河口镇 & !演练", [True, True, True, False, False, False, False, False]),
    ("自来水 & 发黄", [True, True, True, False, False, False, False, False]),
    ("wifi讯号 & 12345热线", [False, False, False, True, False, False, False, False]),
    ("１２３４５", [False, False, False, True, False, False, False, False]),
    ("干净", [False, False, False, False, False, False, True, False]),  # 乾 is not 干
    ("乾净", [False, False, False, False, False, True, False, False]),
    ("看著", [False, False, False, False, False, True, False, False]),
    ("台风 | 供水", [False, False, False, False, True, False, False, True]),
    ("(停水|停电) & !(河口镇|城关镇)", [False, False, False, False, False, False, False, True]),
    ("河口镇停", [True, True, False, False, False, False, False, False]),
])
def test_a_scheme_word_matches_every_spelling_in_process_and_in_elasticsearch(
        store, expr, expected):
    """A traditional repost of a complaint must raise the same scheme hit as the simplified
    original, live (Elasticsearch) and in replay (in process) alike."""
    docs = [analyzed(f"http://s.test/t{i}", f"帖{i}", t) for i, t in enumerate(TEXTS)]
    store.index(docs, NOW, refresh=True)
    compiled = SchemeConfig(name="t", expression=expr).compile()
    in_process = [compiled.match(d.item.title, d.item.text) for d in docs]
    hits = {d["id"] for d in store.iter_query(compiled.query())}
    assert in_process == expected
    assert [d.item.id in hits for d in docs] == expected


def test_spellings_invert_the_table():
    t = table()
    assert spellings("镇") == ("镇", "鎮") and spellings("鎮") == ("镇", "鎮")
    assert set(spellings("台")) == {"台", "檯", "臺", "颱"}
    assert spellings("乾") == ("乾",) and spellings("a") == ("a",)
    for ch in "台钟并干余":  # every spelling reads as the same character, none is missing
        assert {to_simplified(s) for s in spellings(ch)} == {ch}
        assert set(spellings(ch)) == {ch} | {chr(k) for k, v in t.items() if v == ch}
    assert not KEEP & {s for ch in "干着覆" for s in spellings(ch)[1:]}


def test_process_and_elasticsearch_agree_on_random_texts_and_words(store):
    """Random texts over a few characters with several spellings (and repeats, which is
    where an ordered interval match could go wrong), random words cut from them."""
    rng = random.Random(20261129)
    # Full-width Latin is left out: a run mixing widths (1１) is one token the query
    # cannot fold (the cases above cover full-width words).
    pool = "镇鎮台臺檯颱来來水干幹乾著着ab1，"
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(4, 14))) for _ in range(60)]
    docs = [analyzed(f"http://s.test/r{i}", "", t) for i, t in enumerate(texts)]
    store.index(docs, NOW, refresh=True)
    words = {t[i:i + n] for t in texts[:30] for i, n in [(rng.randint(0, 3), rng.randint(2, 4))]}
    words |= {"".join(rng.choice(pool) for _ in range(3)) for _ in range(15)}
    for word in sorted(w for w in words if w.strip("，")):
        compiled = SchemeConfig(name="r", expression=word).compile()
        hits = {d["id"] for d in store.iter_query(compiled.query())}
        in_process = {d.item.id for d in docs if compiled.match(d.item.title, d.item.text)}
        assert hits == in_process, word
