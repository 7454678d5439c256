"""Proposing words the segmenter's dictionary does not know (`yuqing words`)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.newwords import propose_words
from analysis.pipeline import county_segmenter
from analysis.segment import dictionary_words, stopwords
from yuqing.config import load_config

# "榔梨" (a township name) and "渣土车" are not in jieba's dictionary; "相关部门" is two known
# words; "沙湾村村民" makes "村村民" cross a word boundary.
TEXTS = [
    "榔梨街道的渣土车每天夜里经过，噪音很大，希望相关部门管一管。",
    "从榔梨到县城的路被渣土车压坏了，请相关部门尽快修复。",
    "昨天在榔梨看到渣土车抛洒，沙湾村村民意见很大，相关部门不作为。",
    "渣土车超载严重，榔梨路口天天堵车，沙湾村村民出行困难，请相关部门处理。",
    "沙湾村村民反映，去榔梨的班车太少，渣土车又多，相关部门应该重视。",
    "榔梨中学门口渣土车横冲直撞，家长们很担心，恳请相关部门整治。",
]


def segmenter():
    cfg = load_config(None)
    return county_segmenter(cfg.gazetteer, cfg.analysis.user_words, cfg.analysis.segmenter)


def propose(texts, **kw):
    seg = segmenter()
    return propose_words(texts, dictionary_words() | set(seg.user_words), seg.tokens,
                         stop=stopwords(), **kw)


def test_unknown_local_words_are_proposed_and_phrases_and_fragments_are_not() -> None:
    words = [c.word for c in propose(TEXTS, min_count=3, min_docs=3, min_entropy=1.0)]
    assert "榔梨" in words and "渣土车" in words
    for phrase in ("相关部门", "村村民", "沙湾村村", "榔梨街"):
        assert phrase not in words
    best = propose(TEXTS, min_count=3, min_docs=3, min_entropy=1.0)[0]
    assert best.count >= 6 and best.docs >= 5 and best.word in best.example


def test_known_words_and_rare_words_are_not_proposed() -> None:
    seg = segmenter()
    assert propose_words(TEXTS, dictionary_words() | {"榔梨", "渣土车"}, seg.tokens,
                         min_count=3, min_docs=3, min_entropy=1.0, stop=stopwords()) == []
    assert propose(TEXTS[:2], min_count=3, min_docs=3) == []  # seen in two texts only
    assert propose([]) == []


def _board() -> Path | None:
    for base in Path(__file__).resolve().parents:
        path = base / "shared" / "corpus" / "complaints" / "message_board_with_replies.csv"
        if path.is_file():
            return path
    return None


@pytest.mark.corpus
@pytest.mark.skipif(_board() is None, reason="shared corpus not found at ../shared/corpus")
def test_real_message_board_yields_local_names_not_stock_phrases() -> None:
    with _board().open(encoding="utf-8-sig", newline="") as fh:  # type: ignore[union-attr]
        texts = [f"{r['留言主题']}\n{r['留言详情']}" for r in csv.DictReader(fh)]
    words = [c.word for c in propose(texts, top=40)]
    # Real local names and terms of this board that the dictionary lacks:
    assert {"榔梨", "梅溪湖", "万家丽", "黄兴镇", "渣土车", "占道经营"} & set(words) >= {
        "榔梨", "梅溪湖", "黄兴镇"}, words
    # Stock phrases of known words, the board's most frequent ones, are not proposed:
    for phrase in ("相关部门", "有关部门", "尊敬的领导", "严重影响", "请求解决"):
        assert phrase not in words


def run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", "words", *args],
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_words_command_json_output_and_bad_lines() -> None:
    lines = [json.dumps({"id": str(i), "title": "", "text": t}, ensure_ascii=False)
             for i, t in enumerate(TEXTS)]
    proc = run("\n".join([lines[0], "{broken", *lines[1:]]) + "\n", "--json",
               "--min-count", "3")
    assert proc.returncode == 1
    assert "stdin line 2" in proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "渣土车" in [o["word"] for o in out]
    assert set(out[0]) == {"word", "count", "docs", "score", "cohesion", "left_entropy",
                           "right_entropy", "example"}
    text = run("\n".join(lines) + "\n", "--min-count", "3")
    assert text.returncode == 0 and "user_words: [" in text.stdout


def test_words_in_traditional_text_are_proposed_as_the_analyser_will_see_them() -> None:
    trad = [t.replace("车", "車").replace("关", "關").replace("门", "門").replace("湾", "灣")
            for t in TEXTS]
    lines = "".join(json.dumps({"title": "", "text": t}, ensure_ascii=False) + "\n"
                    for t in trad + ["河口鎮停水，河口鎮的河口水廠沒有說法"] * 3)
    proc = run(lines, "--json", "--min-count", "3")
    assert proc.returncode == 0, proc.stderr
    words = [json.loads(line)["word"] for line in proc.stdout.splitlines()]
    assert "渣土车" in words and "榔梨" in words
    assert not {"渣土車", "相關部門", "河口鎮", "河口水廠"} & set(words)


def test_words_command_reads_stored_items(store) -> None:
    from datetime import datetime, timedelta

    from analysis.pipeline import Analyzer
    from yuqing.records import SHANGHAI, Item, SourceKind

    analyzer = Analyzer.from_config(load_config(None))
    when = datetime.now(SHANGHAI) - timedelta(hours=2)
    items = [analyzer.analyze(Item.from_url(f"https://forum.test/t/{i}", source_id="forum",
                                            source_kind=SourceKind.forum, title="",
                                            text=t, published_at=when, fetched_at=when))
             for i, t in enumerate(TEXTS)]
    store.index(items, when, refresh=True)
    proc = run("", "--days", "1", "--json", "--min-count", "3")  # env names the test index
    assert proc.returncode == 0, proc.stderr
    assert {"榔梨", "渣土车"} <= {json.loads(line)["word"] for line in proc.stdout.splitlines()}
    old = run("", "--days", "0.01", "--json", "--min-count", "3")  # the last 15 minutes
    assert old.returncode == 0 and old.stdout == ""


def test_words_command_checks_each_line_as_analyze_does_but_needs_only_title_or_text(
        ) -> None:
    good = [json.dumps({"text": t}, ensure_ascii=False).encode() for t in TEXTS]
    bad = [
        json.dumps({"id": "g", "text": "渣土车"}, ensure_ascii=False).encode("gbk"),
        b'{"title": 5, "text": ["x"]}',
        b'{"id": "n", "published_at": "2026-11-20"}',
        b'["text"]',
        json.dumps({"text": "\udcff"}).encode(),
    ]
    # No id, no time, a null title: fine for counting words.
    extra = b'{"title": null, "text": "\xe6\xb8\xa3\xe5\x9c\x9f\xe8\xbd\xa6"}'
    def words(lines: list[bytes]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "yuqing.cli", "words", "--json",
                               "--min-count", "3"], input=b"\n".join(lines) + b"\n",
                              capture_output=True, timeout=120)

    proc, clean = words([good[0], *bad, extra, *good[1:]]), words([good[0], extra, *good[1:]])
    assert proc.returncode == 1 and clean.returncode == 0
    assert proc.stdout == clean.stdout  # the bad lines cost nothing else
    assert "榔梨" in [json.loads(line)["word"] for line in proc.stdout.splitlines()]
    err = proc.stderr.decode().splitlines()
    assert err[0].startswith("words: skipped stdin line 2: not UTF-8: byte 0xd4 at byte "
                             "offset ")
    assert err[1:5] == [
        "words: skipped stdin line 3: title: expected a string or null, got number; "
        "text: expected a string or null, got array",
        "words: skipped stdin line 4: missing key(s) title, text (one of them is enough "
        "here)",
        "words: skipped stdin line 5: expected a JSON object, got array",
        "words: skipped stdin line 6: text: contains a lone UTF-16 surrogate (not a "
        "character; invalid UTF-8 or a broken \\u escape)"]
    assert "words: 1 line(s) not UTF-8, the first at line 2" in err[5]
    assert err[6] == "words: 5 unreadable line(s) skipped (line 2, 3, 4, 5, 6)"
