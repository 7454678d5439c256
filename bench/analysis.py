"""Benchmark: our analysis path against the naive per-document path, whole process included.

    python bench/analysis.py [--long 1200] [--short 1200] [--naive-long 120] [--naive-short 300]

Documents are real (from ../shared/corpus or $YUQING_CORPUS): long ones are government
message-board messages with their official answers (800-2,000 characters), short ones are
Weibo / food-delivery posts. Each path runs in a fresh child process, so model
loading, process start and (for ours) forking are in the figures; peak RSS is the child's
maximum resident set (for ours: the parent, which holds the models; workers share them).

Before timing, each path runs once on five documents (not timed): this warms the OS file
cache for both alike and lets ours build its scorer cache (var/cache, made on a machine's
first run, like .pyc files) so a first-ever run is not what gets measured.

Ours:  `yuqing analyze` — one jieba pass per document feeding keywords, sentiment,
       complaint/category, places and MinHash; all cores.
Naive: per document `SnowNLP(text).sentiments` + `jieba.analyse.extract_tags(text)` +
       a SimHash of the text (each re-segments), one process. The naive path is slow, so it
       runs on a subset; its docs/s is what the ratio uses.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("YUQING_CORPUS") or ROOT.parent / "shared" / "corpus")

NAIVE = r'''
import hashlib, json, sys
import jieba, jieba.analyse
from snownlp import SnowNLP

def simhash(text):
    v = [0] * 64
    for tok in jieba.lcut(text):
        h = int.from_bytes(hashlib.md5(tok.encode()).digest()[:8], "big")
        for i in range(64):
            v[i] += 1 if h >> i & 1 else -1
    return sum(1 << i for i in range(64) if v[i] > 0)

out = []
for line in sys.stdin:
    d = json.loads(line)
    text = d["title"] + "\n" + d["text"]
    out.append((SnowNLP(text).sentiments, jieba.analyse.extract_tags(text, topK=8),
                simhash(text)))
print(len(out))
'''


def load_docs(n_long: int, n_short: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    board = CORPUS / "complaints" / "message_board_with_replies.csv"
    weibo = CORPUS / "sentiment" / "smp2020_ewect_virus_train.json"
    waimai = CORPUS / "sentiment" / "waimai_10k.csv"
    for p in (board, weibo, waimai):
        if not p.exists():
            sys.exit(f"corpus file missing: {p} (set YUQING_CORPUS)")
    long_docs = []
    with board.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            # A citizen's message and the official answer: ~1,000-2,000 characters of
            # complaint and news-register text, like a local news article.
            text = " ".join((row["留言详情"] + " " + row["答复意见"]).split())[:2000]
            if len(text) >= 800:
                long_docs.append({"id": f"r{row['留言编号']}", "title": row["留言主题"],
                                  "text": text, "published_at": None})
    short_docs = [{"id": f"w{i}", "title": "", "text": d["content"], "published_at": None}
                  for i, d in enumerate(json.loads(weibo.read_text(encoding="utf-8")))]
    with waimai.open(encoding="utf-8", newline="") as fh:
        short_docs += [{"id": f"m{i}", "title": "", "text": r["review"], "published_at": None}
                       for i, r in enumerate(csv.DictReader(fh))]
    rng = random.Random(seed)
    rng.shuffle(long_docs)
    rng.shuffle(short_docs)
    return long_docs[:n_long], short_docs[:n_short]


def run_child(cmd: list[str], docs: list[dict]) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one child process fed the docs as JSON lines."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False,
                                     encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        path = fh.name
    try:
        with open(path, encoding="utf-8") as stdin, open(os.devnull, "w") as devnull:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdin=stdin, stdout=devnull, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"{cmd} failed: {proc.stderr.read().decode()[-500:]}")
        return elapsed, usage.ru_maxrss / 1024
    finally:
        os.unlink(path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--long", type=int, default=1200)
    ap.add_argument("--short", type=int, default=1200)
    ap.add_argument("--naive-long", type=int, default=120)
    ap.add_argument("--naive-short", type=int, default=300)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--no-warmup", action="store_true",
                    help="time the very first runs too (cold file and scorer caches)")
    args = ap.parse_args()
    long_docs, short_docs = load_docs(args.long, args.short)
    mean_len = sum(len(d["text"]) for d in long_docs) / max(1, len(long_docs))
    print(f"documents: {len(long_docs)} long (mean {mean_len:.0f} chars), "
          f"{len(short_docs)} short; cores: {os.cpu_count()}")
    ours = [sys.executable, "-m", "yuqing.cli", "analyze"]
    if args.workers:
        ours += ["--workers", str(args.workers)]
    naive = [sys.executable, "-c", NAIVE]
    if not args.no_warmup:
        run_child(ours, long_docs[:5])
        run_child(naive, long_docs[:5])
    rows = []
    for label, docs, n_naive in (("long", long_docs, args.naive_long),
                                 ("short", short_docs, args.naive_short)):
        t_ours, rss_ours = run_child(ours, docs)
        t_naive, rss_naive = run_child(naive, docs[:n_naive])
        rate_ours, rate_naive = len(docs) / t_ours, n_naive / t_naive
        rows.append((label, len(docs), rate_ours, rss_ours, n_naive, rate_naive, rss_naive))
    print(f"{'docs':<6}{'n ours':>8}{'ours docs/s':>13}{'ours MiB':>10}"
          f"{'n naive':>9}{'naive docs/s':>14}{'naive MiB':>11}{'ratio':>8}")
    for label, n, ro, mo, nn, rn, mn in rows:
        print(f"{label:<6}{n:>8}{ro:>13.1f}{mo:>10.0f}{nn:>9}{rn:>14.2f}{mn:>11.0f}"
              f"{ro / rn:>7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
