"""`analysis.category_views`: the class-balanced views added to the category SVM."""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

import jieba
import numpy as np
import pytest

from analysis.category_views import CentroidViews, standardise
from analysis.complaint import ComplaintModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from train_views import fit_views, reduce_vectors  # noqa: E402


def _tokens(title: str, text: str) -> tuple[list[str], list[str]]:
    tt = jieba.lcut(title)
    return tt, tt + jieba.lcut(text)


def test_packaged_views_match_the_category_model() -> None:
    views = CentroidViews.load()
    assert views.classes == ComplaintModel.load().categories.classes
    assert views.weight_tfidf > 0 and views.weight_emb > 0 and views.weight_taxonomy > 0
    assert len(views.emb_index) > 50_000 and len(views.tfidf_index) > 5_000
    assert "旅行社" in views.emb_index and "物业" in views.tfidf_index


def test_each_view_is_standardised_per_message() -> None:
    views = CentroidViews.load()
    tt, toks = _tokens("小区电梯坏了", "电梯坏了一个月，物业一直没人修，业主上下楼很不方便。")
    for part in (views.tfidf(tt, toks), views.emb(tt, toks), views.taxonomy(toks)):
        z = standardise(part)
        assert z.mean() == pytest.approx(0, abs=1e-6) and z.std() == pytest.approx(1, abs=1e-6)
    s = views.scores(tt, toks)
    assert s.sum() == pytest.approx(0, abs=1e-5)
    assert views.classes[int(np.argmax(s))] == "城乡建设"


def test_a_message_with_no_known_word_gets_no_push() -> None:
    views = CentroidViews.load()
    assert not views.scores(["abc"], ["abc", "1", "x"]).any()
    assert not views.scores([], []).any()


def test_words_no_training_message_used_still_count_in_the_vector_view() -> None:
    views = CentroidViews.load()
    tt, toks = _tokens("旅行社强制购物", "报了一个旅游团，导游强制我们购物，不买就甩脸色。")
    assert views.classes[int(np.argmax(views.emb(tt, toks)))] == "商贸旅游"


def test_the_taxonomy_view_finds_the_sub_category_of_a_mixed_class() -> None:
    # 经济管理 covers unrelated matters (税务, 金融, 物价...); its best 二级 speaks for it.
    views = CentroidViews.load()
    tt, toks = _tokens("咨询个人所得税退税",
                       "今年的个人所得税汇算清缴，退税一直没有到账，请问税务部门如何办理。")
    assert views.classes[int(np.argmax(views.taxonomy(toks)))] == "经济管理"


# A toy corpus and toy vectors, to check that the packaged form (per-word weights and dot
# products, standardised) gives what the views are defined as: cosine to class centroids.
TOY_CLASSES = ["环境", "交通"]
TOY_DOCS = [
    (["污水"], ["污水", "排放", "河道", "臭味", "排放"], 0),
    (["废气"], ["工厂", "废气", "排放", "臭味"], 0),
    (["噪音"], ["工厂", "噪音", "扰民", "排放"], 0),
    (["公交"], ["公交", "线路", "站台", "太远"], 1),
    (["路口"], ["路口", "红绿灯", "拥堵", "线路", "拥堵"], 1),
    (["站台"], ["站台", "公交", "拥堵", "河道"], 1),
]
TOY_WORDS = ["污水", "排放", "河道", "臭味", "工厂", "废气", "噪音", "扰民", "公交", "线路",
             "站台", "太远", "路口", "红绿灯", "拥堵", "渡口"]
TOY_TAXONOMY = {"环境": {"污水": ["河道"], "废气": ["工厂", "管理"]},
                "交通": {"公交": ["站台"], "路口": ["红绿灯"]}}


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def test_packaged_form_equals_cosine_to_class_centroids() -> None:
    rng = np.random.default_rng(0)
    vocab = reduce_vectors(TOY_WORDS, _unit(rng.normal(size=(len(TOY_WORDS), 12))), dims=8)
    vecs = vocab[1].astype(np.float64) * vocab[2]  # what the runtime sees
    tts = [t for t, _, _ in TOY_DOCS]
    dts = [t + d for t, d, _ in TOY_DOCS]
    y = np.array([c for _, _, c in TOY_DOCS])
    views = CentroidViews.from_arrays(fit_views(tts, dts, y, TOY_CLASSES, vocab, TOY_TAXONOMY,
                                                1.0, 1.0, 1.0))
    n = len(y)
    # TF-IDF view by the book: sublinear tf, smoothed idf, min_df 2, unit rows; centroid =
    # unit mean of the class's unit rows; score = cosine.
    bags = [Counter(t * 2 + d) for t, d in zip(tts, dts, strict=True)]
    df = Counter(w for b in bags for w in b)
    vocab = sorted(w for w, c in df.items() if c >= 2)

    def row(b: Counter) -> np.ndarray:
        r = np.array([(1 + math.log(b[w])) * (math.log((1 + n) / (1 + df[w])) + 1)
                      if b[w] else 0.0 for w in vocab])
        return r / np.linalg.norm(r)

    cen = _unit(np.stack([np.mean([row(b) for b, c in zip(bags, y, strict=True) if c == k],
                                  axis=0) for k in range(2)]))
    # Vector view: IDF-weighted mean vector of text and of title, centroids of unit means.
    df_tok = Counter(w for d in dts for w in set(d))
    idf = {w: max(0.0, math.log((n + 1) / (1 + df_tok.get(w, 0)))) for w in TOY_WORDS}
    vec = dict(zip(TOY_WORDS, vecs, strict=True))

    def mean(ws: list[str]) -> np.ndarray:
        return sum(idf[w] * vec[w] for w in ws) / sum(idf[w] for w in ws)

    c_text = _unit(np.stack([_unit(np.mean([_unit(mean(d)) for d, c in zip(dts, y, strict=True)
                                            if c == k], axis=0)) for k in range(2)]))
    c_title = _unit(np.stack([_unit(np.mean([_unit(mean(t)) for t, c in zip(tts, y, strict=True)
                                             if c == k], axis=0)) for k in range(2)]))
    title, text = ["渡口"], ["渡口", "排放", "污水", "拥堵", "排放"]  # 渡口: in no message
    expect_tfidf = standardise(cen @ row(Counter(title * 2 + title + text)))
    expect_emb = standardise(c_text @ mean(title + text) + c_title @ mean(title))
    # Taxonomy view: per class, the best cosine to the mean vector of one 二级 (its name and
    # its 三级 names; "管理" is generic and left out).
    nodes = {0: [["污水", "河道"], ["废气", "工厂"]], 1: [["公交", "站台"], ["路口", "红绿灯"]]}
    m = mean(title + text)
    expect_tax = standardise(np.array([max(
        float(_unit(np.mean([vec[w] for w in ws], axis=0)) @ m) for ws in nodes[c])
        for c in (0, 1)]))
    assert np.allclose(standardise(views.tfidf(title, title + text)), expect_tfidf, atol=1e-3)
    assert np.allclose(standardise(views.emb(title, title + text)), expect_emb, atol=1e-3)
    assert np.allclose(standardise(views.taxonomy(title + text)), expect_tax, atol=1e-3)


def _toy_vocab() -> tuple:
    return reduce_vectors(TOY_WORDS, np.eye(len(TOY_WORDS)), dims=8)


def test_a_class_without_training_messages_is_refused() -> None:
    with pytest.raises(ValueError, match="every class needs a training message: 交通"):
        fit_views([["污水"]], [["污水", "排放"]], np.array([0]), TOY_CLASSES, _toy_vocab(),
                  TOY_TAXONOMY)


def test_a_class_the_taxonomy_cannot_describe_is_refused() -> None:
    tts = [t for t, _, _ in TOY_DOCS]
    dts = [t + d for t, d, _ in TOY_DOCS]
    with pytest.raises(ValueError, match="no 二级分类 with a known word for: 交通"):
        fit_views(tts, dts, np.array([c for _, _, c in TOY_DOCS]), TOY_CLASSES, _toy_vocab(),
                  {"环境": TOY_TAXONOMY["环境"], "交通": {"管理": ["其他"]}})


def test_arrays_for_other_classes_are_refused() -> None:
    tts = [t for t, _, _ in TOY_DOCS]
    dts = [t + d for t, d, _ in TOY_DOCS]
    arrays = fit_views(tts, dts, np.array([c for _, _, c in TOY_DOCS]), TOY_CLASSES,
                       _toy_vocab(), TOY_TAXONOMY)
    arrays["text_centroids"] = arrays["text_centroids"][:1]
    with pytest.raises(ValueError, match="category_views.npz: array shapes do not match 2"):
        CentroidViews.from_arrays(arrays)
