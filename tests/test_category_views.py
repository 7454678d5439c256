"""`analysis.category_views`: the nearest-centroid views added to the category SVM."""

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
from train_views import fit_views  # noqa: E402


def _tokens(title: str, text: str) -> tuple[list[str], list[str]]:
    tt = jieba.lcut(title)
    return tt, tt + jieba.lcut(text)


def test_packaged_views_match_the_category_model() -> None:
    views = CentroidViews.load()
    assert views.classes == ComplaintModel.load().categories.classes
    assert views.weight_tfidf > 0 and views.weight_emb > 0
    assert len(views.emb_index) > 50_000 and len(views.tfidf_index) > 5_000
    assert "旅行社" in views.emb_index and "物业" in views.tfidf_index


def test_each_view_is_standardised_per_message() -> None:
    views = CentroidViews.load()
    tt, toks = _tokens("小区电梯坏了", "电梯坏了一个月，物业一直没人修，业主上下楼很不方便。")
    for part in (views.tfidf(tt, toks), views.emb(tt, toks)):
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


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def test_packaged_form_equals_cosine_to_class_centroids() -> None:
    rng = np.random.default_rng(0)
    vecs = _unit(rng.normal(size=(len(TOY_WORDS), 8)).astype(np.float32))
    tts = [t for t, _, _ in TOY_DOCS]
    dts = [t + d for t, d, _ in TOY_DOCS]
    y = np.array([c for _, _, c in TOY_DOCS])
    views = CentroidViews.from_arrays(fit_views(tts, dts, y, TOY_CLASSES, (TOY_WORDS, vecs),
                                                weight_tfidf=1.0, weight_emb=1.0))
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
    assert np.allclose(standardise(views.tfidf(title, title + text)), expect_tfidf, atol=1e-3)
    # int8 dot products: agree to the quantisation step
    assert np.allclose(standardise(views.emb(title, title + text)), expect_emb, atol=0.05)


def test_a_class_without_training_messages_is_refused() -> None:
    vecs = np.eye(len(TOY_WORDS), dtype=np.float32)
    with pytest.raises(ValueError, match="every class needs a training message: 交通"):
        fit_views([["污水"]], [["污水", "排放"]], np.array([0]), TOY_CLASSES, (TOY_WORDS, vecs))


def test_arrays_for_other_classes_are_refused() -> None:
    vecs = np.eye(len(TOY_WORDS), dtype=np.float32)
    tts = [t for t, _, _ in TOY_DOCS]
    dts = [t + d for t, d, _ in TOY_DOCS]
    arrays = fit_views(tts, dts, np.array([c for _, _, c in TOY_DOCS]), TOY_CLASSES,
                       (TOY_WORDS, vecs))
    arrays["emb_text"] = arrays["emb_text"][:, :1]
    with pytest.raises(ValueError, match="category_views.npz: array shapes do not match 2"):
        CentroidViews.from_arrays(arrays)
