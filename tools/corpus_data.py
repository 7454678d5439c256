"""Loaders and fixed-seed train/dev splits of the shared development corpus.

Used by tools/train_*.py, tools/eval_analysis.py and the corpus-backed tests, so that
all three see exactly the same held-out documents. The corpus is read in place
(``../shared/corpus`` or $YUQING_CORPUS) and never copied into the repository.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pickle
import random
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 20240611
DEV_FRACTION = 0.2
WEIBO_MAP = {"happy": "positive", "neural": "neutral", "angry": "negative",
             "sad": "negative", "fear": "negative"}  # "surprise" is dropped: no polarity


def corpus_dir() -> Path:
    env = os.environ.get("YUQING_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "corpus"


@dataclass(frozen=True)
class Doc:
    key: str
    text: str
    label: str
    title: str = ""
    source: str = ""


def _split(docs: list[Doc], name: str) -> tuple[list[Doc], list[Doc]]:
    # Seed per dataset name so adding a dataset never reshuffles another one.
    rng = random.Random(f"{SEED}:{name}")
    order = list(range(len(docs)))
    rng.shuffle(order)
    n_dev = int(len(docs) * DEV_FRACTION)
    dev = {i for i in order[:n_dev]}
    return ([d for i, d in enumerate(docs) if i not in dev],
            [d for i, d in enumerate(docs) if i in dev])


def load_weibo() -> list[Doc]:
    rows = json.loads((corpus_dir() / "sentiment" / "smp2020_ewect_virus_train.json")
                      .read_text(encoding="utf-8"))
    return [Doc(f"weibo:{r['id']}", r["content"], WEIBO_MAP[r["label"]], source="weibo")
            for r in rows if r["label"] in WEIBO_MAP and r["content"].strip()]


def _load_binary_csv(fname: str, name: str) -> list[Doc]:
    path = corpus_dir() / "sentiment" / fname
    out = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            text = (r.get("review") or "").strip()
            if text:
                label = "positive" if r["label"].strip() == "1" else "negative"
                out.append(Doc(f"{name}:{i}", text, label, source=name))
    return out


def sentiment_splits() -> dict[str, tuple[list[Doc], list[Doc]]]:
    """{dataset: (train, dev)} for weibo (3-class), waimai and hotel (binary)."""
    return {
        "weibo": _split(load_weibo(), "weibo"),
        "waimai": _split(_load_binary_csv("waimai_10k.csv", "waimai"), "waimai"),
        "hotel": _split(_load_binary_csv("ChnSentiCorp_htl_all.csv", "hotel"), "hotel"),
    }


_WS = re.compile(r"\s+")


def load_board() -> list[Doc]:
    """Message-board messages; 留言用户 (personal data) is never read into memory."""
    path = corpus_dir() / "complaints" / "message_board_with_replies.csv"
    out = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            text = _WS.sub(" ", r["留言详情"]).strip()
            out.append(Doc(f"board:{r['留言编号']}", text, "complaint",
                           title=r["留言主题"].strip(), source="board"))
    return out


def load_board_replies() -> dict[str, str]:
    """Official replies keyed like ``load_board`` docs (used only for weak labels)."""
    path = corpus_dir() / "complaints" / "message_board_with_replies.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {f"board:{r['留言编号']}": _WS.sub(" ", r["答复意见"]) for r in csv.DictReader(fh)}


def load_category_labels() -> dict[str, tuple[str, bool]]:
    """{"board:<留言编号>": (一级分类, ambiguous)}: the annotation of every message-board
    message (tools/category_labels.csv; no corpus text, ids and labels only)."""
    path = Path(__file__).resolve().parent / "category_labels.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {f"board:{r['留言编号']}": (r["一级分类"], r["ambiguous"] == "1")
                for r in csv.DictReader(fh)}


def load_news() -> list[Doc]:
    """Gold main text of news/article pages of the extraction set (not forum pages)."""
    out = []
    base = corpus_dir() / "extraction"
    for line in (base / "index.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("page_type") != "article":
            continue
        text = rec.get("gold_content")
        if not text and rec.get("gold_content_file"):
            text = (base / rec["gold_content_file"]).read_text(encoding="utf-8")
        if text and len(text) > 50:
            out.append(Doc(f"news:{rec['html']}", _WS.sub(" ", text).strip(), "not_complaint",
                           title=rec.get("gold_title") or "", source="news"))
    return out


_SENT_END = re.compile(r"(?<=[。！？!?；;])")


def snippets(text: str, max_chars: int = 90, limit: int = 1) -> list[str]:
    """Up to ``limit`` leading runs of whole sentences, each at most ``max_chars`` long."""
    out, cur = [], ""
    for sent in _SENT_END.split(text):
        if cur and len(cur) + len(sent) > max_chars:
            out.append(cur)
            cur = ""
            if len(out) >= limit:
                break
        cur += sent
    if cur and len(out) < limit:
        out.append(cur[:max_chars * 2])
    return [x.strip() for x in out if len(x.strip()) >= 12]


def reply_excerpts(board: list[Doc], replies: dict[str, str], label: str,
                   source: str) -> list[Doc]:
    """Government register on exactly the board's topics (pollution checks, road works,
    notices) that is neither an appeal nor emotional: the second and third snippets of the
    official replies to ``board`` messages. The opening snippet quotes the message, and
    snippets addressing the writer are skipped."""
    out = []
    for d in board:
        for i, s in enumerate(snippets(replies.get(d.key, ""), limit=4)[1:3]):
            if not any(w in s for w in ("您", "你", "反映", "网友", "来信")):
                out.append(Doc(f"{d.key}:r{i}", s, label, "", source))
    return out


def load_news_sentiment() -> list[Doc]:
    """News/article texts of the extraction set with the overall sentiment we read them to
    have (tools/news_sentiment_labels.csv: one reading, negative = the article reports or
    argues something bad; see tools/README_labels.md). Evaluation only: never trained on."""
    path = Path(__file__).resolve().parent / "news_sentiment_labels.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        labels = {r["html"]: r["sentiment"] for r in csv.DictReader(fh)}
    return [Doc(d.key, d.text, labels[d.key.removeprefix("news:")], d.title, "news")
            for d in load_news() if d.key.removeprefix("news:") in labels]


def complaint_splits() -> dict[str, tuple[list[Doc], list[Doc]]]:
    """{source: (train, dev)} for complaint detection.

    Positives: message-board messages. Negatives: news articles, Weibo posts labelled
    neutral/positive, positive hotel reviews (none of them appeals to government).
    Negative Weibo posts and delivery reviews are left out: some are grievances, and we
    have no labels that separate a consumer gripe from an appeal.
    """
    sent = sentiment_splits()

    def neg(docs: list[Doc], keep: set[str]) -> list[Doc]:
        return [Doc(d.key, d.text, "not_complaint", d.title, d.source)
                for d in docs if d.label in keep]

    wtr, wdev = sent["weibo"]
    htr, hdev = sent["hotel"]
    return {
        "board": _split(load_board(), "board"),
        "news": _split(load_news(), "news"),
        "weibo": (neg(wtr, {"neutral", "positive"}), neg(wdev, {"neutral", "positive"})),
        "hotel": (neg(htr, {"positive"}), neg(hdev, {"positive"})),
    }


class TokenCache:
    """jieba tokens of corpus texts, cached under var/ (git-ignored) between runs."""

    def __init__(self, path: Path = ROOT / "var" / "cache" / "jieba_tokens.pkl") -> None:
        self.path = path
        self.data: dict[str, list[str]] = {}
        self.dirty = False
        if path.exists():
            self.data = pickle.loads(path.read_bytes())

    def tokens(self, text: str) -> list[str]:
        key = hashlib.sha1(text.encode("utf-8")).hexdigest()
        toks = self.data.get(key)
        if toks is None:
            import jieba

            toks = jieba.lcut(text)
            self.data[key] = toks
            self.dirty = True
        return toks

    def save(self) -> None:
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(pickle.dumps(self.data))
            self.dirty = False


_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]*")
SHORT_MIN, SHORT_MAX = 12, 100


def sentences(text: str) -> list[str]:
    """Sentences of ``text`` (split after 。！？；), stripped, in order."""
    return [s for s in (m.group().replace("_x000D_", " ").strip()
                        for m in _SENTENCE.finditer(text)) if s]


def _short(text: str) -> bool:
    return SHORT_MIN <= len(text) <= SHORT_MAX


def complaint_short_dev() -> dict[str, list[Doc]]:
    """Untitled one-liners from the complaint dev splits only (never trained on), to
    measure the detector on terse text. {source: docs}; every text is real corpus text.

    Positives: each dev board message's 留言主题 (title, scored as an untitled text) and
    its first sentence of 12-100 characters (a message whose first such sentence is longer
    is left out). The first sentence is sometimes only context ("我是某小区业主。"), so
    recall on it has a ceiling below 1.
    Negatives: dev news titles and up to 8 sentences (12-100 chars) per dev news article;
    dev Weibo posts labelled neutral/happy; up to 3 sentences (12-100 chars, after the
    first) of the official replies to dev board messages, skipping those that address or
    quote the writer (您/你/反映/网友/来信), as the training excerpts do.
    """
    splits = complaint_splits()
    board = splits["board"][1]
    news = splits["news"][1]
    replies = load_board_replies()
    out: dict[str, list[Doc]] = {"board_title": [], "board_first": [], "news_title": [],
                                 "news_sentence": [], "weibo": [], "reply_sentence": []}
    for d in board:
        if d.title:
            out["board_title"].append(Doc(d.key + ":title", d.title, "complaint",
                                          source="board_title"))
        first = next((s for s in sentences(d.text) if len(s) >= SHORT_MIN), "")
        if _short(first):
            out["board_first"].append(Doc(d.key + ":first", first, "complaint",
                                          source="board_first"))
        picked = [s for s in sentences(replies.get(d.key, ""))[1:]
                  if _short(s) and not any(w in s for w in ("您", "你", "反映", "网友", "来信"))]
        out["reply_sentence"] += [Doc(f"{d.key}:reply{i}", s, "not_complaint",
                                      source="reply_sentence")
                                  for i, s in enumerate(picked[:3])]
    for d in news:
        if d.title:
            out["news_title"].append(Doc(d.key + ":title", d.title, "not_complaint",
                                         source="news_title"))
        picked = [s for s in sentences(d.text) if _short(s)]
        out["news_sentence"] += [Doc(f"{d.key}:s{i}", s, "not_complaint", source="news_sentence")
                                 for i, s in enumerate(picked[:8])]
    out["weibo"] = list(splits["weibo"][1])
    return out


def weibo_emotions() -> dict[str, str]:
    """{"weibo:<id>": original SMP2020 label (happy/neural/angry/sad/fear/surprise)}."""
    rows = json.loads((corpus_dir() / "sentiment" / "smp2020_ewect_virus_train.json")
                      .read_text(encoding="utf-8"))
    return {f"weibo:{r['id']}": r["label"] for r in rows}
