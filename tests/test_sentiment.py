from __future__ import annotations

import functools
import time

import jieba
import pytest
from conftest import require_corpus

from analysis.features import base_features
from analysis.pipeline import Analyzer
from analysis.sentiment import (
    NEGATIVE_BELOW,
    POSITIVE_ABOVE,
    SentimentModel,
    denied_praise,
    snownlp_baseline,
)
from yuqing.config import Gazetteer


def score(text: str) -> tuple[float, str]:
    return SentimentModel.load().score(jieba.lcut(text), text)


def test_model_loads_once() -> None:
    assert SentimentModel.load() is SentimentModel.load()


@pytest.mark.parametrize(
    ("positive", "negated"),
    [
        ("我对处理结果很满意", "我对处理结果很不满意"),
        ("今天很高兴", "今天不高兴"),
        ("服务很好", "服务不是很好"),
        ("房间很干净", "房间不干净"),
    ],
)
def test_negation_flips(positive: str, negated: str) -> None:
    pos, pos_label = score(positive)
    neg, neg_label = score(negated)
    assert pos_label == "positive"
    assert neg_label != "positive", (negated, neg)
    assert neg < 0.45 and pos - neg > 0.3, (negated, neg)


@pytest.mark.parametrize("text", ["我对处理结果很不满意", "服务不是很好", "房间不干净"])
def test_negated_praise_is_negative(text: str) -> None:
    assert score(text)[1] == "negative", score(text)


@pytest.mark.parametrize("text", ["不高兴", "出行很不方便", "不太好吃！", "服务不及时。"])
def test_a_clause_of_denied_praise_alone_is_negative_on_the_runtime_path(text: str) -> None:
    # The reviews the model learnt from often grumble "不方便" inside a positive review:
    # alone it leaned neutral or positive (不高兴 0.42, 出行很不方便 0.64) before the rule.
    f = _analyzer().features("", text)
    assert f.sentiment_label == "negative" and f.sentiment <= 0.35, (text, f.sentiment)
    assert score(text)[1] == "negative"  # the reference path applies the same rule


@pytest.mark.parametrize("text", ["服务不差", "东西不错，就是送得不及时", "不好意思，打扰了",
                                  "这家店不错"])
def test_denied_complaint_or_mixed_praise_is_not_made_negative(text: str) -> None:
    assert _analyzer().features("", text).sentiment_label != "negative", text


def test_the_rule_reads_one_clause_and_every_sentiment_word_of_the_item() -> None:
    a = _analyzer()
    assert a.features("关于公交线路", "出行很不方便").sentiment_label == "negative"
    assert a.features("不满意", "").sentiment_label == "negative"
    assert a.features("服务很热情", "只是出行很不方便").sentiment > 0.35  # praise in title
    # Two clauses: the reviews' "不方便, 但..." is too often said in a positive review.
    for text, rule in (("交通不太方便", True), ("交通不太方便，打车要走很远", False)):
        assert denied_praise(base_features(a.segmenter.tokens(text), text), "", text) is rule


@functools.cache
def _analyzer() -> Analyzer:
    return Analyzer(Gazetteer(county="青禾县"))


@pytest.mark.parametrize(
    "text",
    [
        "小区门口的垃圾堆一直没人管",
        "路灯坏了拖了半年还没解决",
        "物业乱收费，多次投诉无果",
        "镇政府工作人员态度恶劣，推诿扯皮",
        "小区停水三天了，也没人通知",
        "工地每天夜里施工，噪音扰民，严重影响休息",
    ],
)
def test_complaints_are_negative(text: str) -> None:
    s, label = score(text)
    assert label == "negative", (text, s)


@pytest.mark.parametrize(
    "text",
    [
        "县政府召开常务会议，研究部署安全生产工作",
        "新华社北京11月30日电 国务院召开常务会议",
    ],
)
def test_news_register_is_not_negative(text: str) -> None:
    s, label = score(text)
    assert label != "negative", (text, s)
    assert 0.3 < s < 0.8


def test_thanks_is_positive() -> None:
    assert score("感谢相关部门的及时处理，点赞")[1] == "positive"


def test_score_range_and_thresholds() -> None:
    s, label = score("")
    assert 0.0 <= s <= 1.0
    assert NEGATIVE_BELOW < POSITIVE_ABOVE
    assert label in {"negative", "neutral", "positive"}


def test_speed_well_over_1000_docs_per_second() -> None:
    text = "路灯坏了拖了半年还没解决，希望有关部门尽快处理。" * 4
    tokens = jieba.lcut(text)
    model = SentimentModel.load()
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        model.score(tokens, text)
    assert n / (time.perf_counter() - t0) > 1000


def test_snownlp_baseline_on_tokens() -> None:
    assert snownlp_baseline(jieba.lcut("这个酒店非常好，服务热情")) > 0.5
    assert snownlp_baseline(jieba.lcut("太差了，再也不来了，垃圾")) < 0.5


# --- corpus-backed floors (held-out dev splits, fixed seed; see tools/corpus_data.py) ---

def _dev(name: str):  # type: ignore[no-untyped-def]
    require_corpus("sentiment")
    from corpus_data import sentiment_splits

    return sentiment_splits()[name][1]


def _neg_f1(docs) -> float:  # type: ignore[no-untyped-def]
    model = SentimentModel.load()
    tp = fp = fn = 0
    for d in docs:
        pred = model.score(jieba.lcut(d.text), d.text)[1] == "negative"
        gold = d.label == "negative"
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
    return 2 * tp / (2 * tp + fp + fn)


@pytest.mark.corpus
def test_weibo_negative_f1_floor() -> None:
    # SnowNLP scores 0.43 here (tools/eval_analysis.py); we measured 0.78.
    assert _neg_f1(_dev("weibo")) >= 0.70


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["waimai", "hotel"])
def test_review_negative_f1_floor(name: str) -> None:
    # The CSVs are sorted by label, so score the whole dev split, never a prefix.
    assert _neg_f1(_dev(name)) >= 0.75
