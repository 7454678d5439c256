"""Extraction benchmark on the shared corpus (run by hand, not in CI).

    python bench/extraction.py [--corpus DIR]

For pages with gold content: mean character F1 (multiset of non-whitespace characters,
precision/recall against gold). For pages with gold_date: day-level date accuracy.
Ours (crawlers.extraction.extract, encoding detected by us) against the out-of-the-box
baseline trafilatura.extract(bytes) + htmldate.find_date(bytes) on the same pages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import htmldate  # noqa: E402
import trafilatura  # noqa: E402

from crawlers.extraction import extract  # noqa: E402
from crawlers.extraction.dates import parse_date  # noqa: E402
from yuqing.records import SHANGHAI  # noqa: E402

# Relative gold dates ("09月07日") and relative page dates resolve against one fixed time,
# so runs are reproducible.
NOW = datetime(2025, 1, 1, tzinfo=SHANGHAI)


def char_f1(gold: str, pred: str | None) -> float:
    g = Counter(ch for ch in gold if not ch.isspace())
    p = Counter(ch for ch in (pred or "") if not ch.isspace())
    overlap = sum((g & p).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def partial_gold(row: dict) -> bool:
    """Whether the corpus declares this page's gold text partial (a prefix, not the body)."""
    quality = (row.get("gold_quality") or "").lower()
    return "prefix" in quality or "partial" in quality


def default_corpus() -> Path:
    env = os.environ.get("YUQING_CORPUS")
    if env:
        return Path(env)
    # ../shared/corpus from the project root; from a git worktree one level further up.
    for ancestor in ROOT.parents:
        if (ancestor / "shared" / "corpus").is_dir():
            return ancestor / "shared" / "corpus"
    return ROOT.parent / "shared" / "corpus"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--verbose", "-v", action="store_true", help="per-page lines")
    args = ap.parse_args()
    base = args.corpus / "extraction"
    rows = [json.loads(line) for line in (base / "index.jsonl").open(encoding="utf-8")]

    f1: dict[str, dict[str, list[float]]] = {"ours": defaultdict(list), "base": defaultdict(list)}
    hit: dict[str, dict[str, list[bool]]] = {"ours": defaultdict(list), "base": defaultdict(list)}
    seconds = {"ours": 0.0, "base": 0.0}
    partial: set[str] = set()
    for row in rows:
        gold = row.get("gold_content")
        if not gold and row.get("gold_content_file"):
            gold = (base / row["gold_content_file"]).read_text(encoding="utf-8")
        gold_date = parse_date(row["gold_date"], NOW) if row.get("gold_date") else None
        if not gold and not gold_date:
            continue
        group = f"{row['set']}/{row['page_type']}"
        body = (base / row["html"]).read_bytes()
        url = row.get("url")

        t0 = time.perf_counter()
        ours = extract(body, url, fetched_at=NOW)
        t1 = time.perf_counter()
        base_text = trafilatura.extract(body, url=url)
        try:
            base_date = htmldate.find_date(body, url=url)
        except Exception:  # noqa: BLE001 - the baseline may crash; count it as a miss
            base_date = None
        t2 = time.perf_counter()
        seconds["ours"] += t1 - t0
        seconds["base"] += t2 - t1

        if gold:
            f1["ours"][group].append(char_f1(gold, ours.text))
            f1["base"][group].append(char_f1(gold, base_text))
            if partial_gold(row):
                partial.add(group)
        if gold_date:
            # A gold date printed without a year ("09月07日") only fixes month and day.
            has_year = re.search(r"(?:19|20)\d\d", row["gold_date"]) is not None
            width = 10 if has_year else 5
            day = gold_date.date().isoformat()[-width:]
            ours_day = ours.published_at.date().isoformat() if ours.published_at else ""
            hit["ours"][group].append(ours_day[-width:] == day)
            hit["base"][group].append((base_date or "")[-width:] == day)
        if args.verbose:
            print(f"{row['html'][-40:]:40} f1={f1['ours'][group][-1] if gold else '-'} "
                  f"date={ours.published_at} gold={row.get('gold_date')}")

    def mean(values: list) -> float:
        return sum(values) / len(values) if values else float("nan")

    groups = sorted(set(f1["ours"]) | set(hit["ours"]))
    print(f"{'set':24} {'n_text':>6} {'F1 ours':>8} {'F1 base':>8} {'n_date':>6} "
          f"{'date ours':>9} {'date base':>9}")
    for group in groups:
        print(f"{group:24} {len(f1['ours'][group]):6d} {mean(f1['ours'][group]):8.3f} "
              f"{mean(f1['base'][group]):8.3f} {len(hit['ours'][group]):6d} "
              f"{mean(hit['ours'][group]):9.3f} {mean(hit['base'][group]):9.3f}")
    all_f1 = {k: [x for g in v.values() for x in g] for k, v in f1.items()}
    all_hit = {k: [x for g in v.values() for x in g] for k, v in hit.items()}
    print(f"{'ALL':24} {len(all_f1['ours']):6d} {mean(all_f1['ours']):8.3f} "
          f"{mean(all_f1['base']):8.3f} {len(all_hit['ours']):6d} "
          f"{mean(all_hit['ours']):9.3f} {mean(all_hit['base']):9.3f}")
    # Sets whose gold is declared partial (gold_quality: a prefix of the text) punish any
    # complete extraction; the aggregate is shown with and without them, never silently.
    if partial:
        full = {k: [x for g, v2 in v.items() if g not in partial for x in v2]
                for k, v in f1.items()}
        print(f"{'ALL w/o partial gold':24} {len(full['ours']):6d} {mean(full['ours']):8.3f} "
              f"{mean(full['base']):8.3f}   (excluded: {', '.join(sorted(partial))})")
    print(f"time: ours {seconds['ours']:.1f}s, baseline {seconds['base']:.1f}s")
    print("note: gne gold is GNE's own output and goose3 gold is a text prefix, not human "
          "labels (gne/tests/qq gold is a video-player build date);\n"
          "      magic_html / trafilatura / htmldate are benchmark gold.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
