"""The built scorer survives a trip through the on-disk array cache, and a bad cache never
stops a start: it is rebuilt or skipped."""

from __future__ import annotations

import os

import numpy as np
import pytest

from analysis.features import base_features
from analysis.scoring import JointScorer
from analysis.segment import Segmenter
from yuqing.arraycache import ArrayCache

DOCS = [
    ("河口镇自来水发黄有异味，有人管吗",
     "河口镇自来水发黄有异味已经好几天了，水厂一直没有说法，很不满意。"),
    ("", "今天天气真好，心情不错"),
    ("拖欠工资三个月", "老板拖欠我们十几个工人的工资快三个月了，希望劳动部门帮忙讨薪。"),
]


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter()


def _scores(scorer: JointScorer, seg: Segmenter) -> list:
    out = []
    for title, text in DOCS:
        title_tokens = seg.tokens(title)
        tokens = title_tokens + seg.tokens(text)
        out.append(scorer.score(base_features(tokens, text), title, text, title_tokens, tokens))
    return out


def _mapped(a: np.ndarray) -> bool:
    """Read back from the cache (a view of a memory map), not rebuilt in memory."""
    while a is not None:
        if isinstance(a, np.memmap):
            return True
        a = a.base if isinstance(a.base, np.ndarray) else None
    return False


def test_cached_scorer_scores_exactly_like_a_freshly_built_one(tmp_path, seg):
    cache = ArrayCache(tmp_path)
    built = JointScorer.load(cache)
    entries = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and entries[0].name.startswith("joint-")
    loaded = JointScorer.load(cache)
    assert _mapped(loaded.w)  # really read back, not rebuilt
    assert loaded.index == built.index
    assert _scores(loaded, seg) == _scores(built, seg) == _scores(JointScorer.load(), seg)


def test_damaged_entry_is_rebuilt(tmp_path, seg):
    cache = ArrayCache(tmp_path)
    JointScorer.load(cache)
    (entry,) = tmp_path.iterdir()
    (entry / "w.npy").write_bytes(b"not an array")
    rebuilt = JointScorer.load(cache)
    assert not _mapped(rebuilt.w)
    assert _scores(rebuilt, seg) == _scores(JointScorer.load(), seg)
    assert _mapped(JointScorer.load(cache).w)  # the entry was rewritten


def test_truncated_matrix_is_rejected_and_rebuilt(tmp_path):
    cache = ArrayCache(tmp_path)
    JointScorer.load(cache)
    (entry,) = tmp_path.iterdir()
    np.save(entry / "w.npy", np.zeros((3, 3)))
    assert not _mapped(JointScorer.load(cache).w)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_unwritable_cache_directory_only_costs_the_rebuild(tmp_path, seg):
    tmp_path.chmod(0o500)
    try:
        scorer = JointScorer.load(ArrayCache(tmp_path / "sub"))
    finally:
        tmp_path.chmod(0o700)
    assert _scores(scorer, seg) == _scores(JointScorer.load(), seg)


def test_cache_directory_that_is_a_file_only_costs_the_rebuild(tmp_path, seg, caplog):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    scorer = JointScorer.load(ArrayCache(blocker))
    assert _scores(scorer, seg) == _scores(JointScorer.load(), seg)
    assert "not written" in caplog.text and str(blocker) in caplog.text


def test_a_new_entry_replaces_older_versions_only(tmp_path):
    cache = ArrayCache(tmp_path)
    cache.put("joint-1-old", {"a": np.arange(3)})
    cache.put("other-1", {"a": np.arange(3)})
    cache.put("joint-1-new", {"a": np.arange(4)}, replaces="joint-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joint-1-new", "other-1"]
    assert cache.get("joint-1-new")["a"].tolist() == [0, 1, 2, 3]


def test_bad_key_is_refused(tmp_path):
    with pytest.raises(ValueError, match="array cache key"):
        ArrayCache(tmp_path).get("../escape")
