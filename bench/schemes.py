"""Cost of a scheme word's spellings: plain phrase queries vs intervals (run by hand).

    YUQING_ES_URL=http://127.0.0.1:9200 .venv/bin/python bench/schemes.py [--items 5000]

Indexes the synthetic items of bench/report.py into a throw-away prefix, every fifth one
written in traditional characters, then times one 20-word scheme (5 regions × 8 subjects
× 7 events) as live detection sends it, against the same scheme with every word a plain
phrase (what schemes sent before: it misses the traditional items). Median of --runs
searches each, request cache off. The prefix is removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report import NOW, synthetic  # noqa: E402

from analysis.simplify import spellings  # noqa: E402
from detection import phrase  # noqa: E402
from storage import ItemStore, connect  # noqa: E402
from storage.admin import drop_prefix  # noqa: E402
from yuqing.config import SchemeConfig, load_config  # noqa: E402

SCHEME = SchemeConfig(name="bench", regions=["河口镇", "城关镇", "沙湾村", "东街", "县城"],
                      subjects=["自来水", "停水", "噪音", "垃圾", "拆迁", "工资", "物业", "燃气"],
                      events=["反映", "投诉", "求助", "曝光", "质疑", "问题", "处理"])


def traditional(text: str) -> str:
    return "".join((spellings(c) + (c,))[1] if len(spellings(c)) > 1 else c for c in text)


def timed(store: ItemStore, query: dict, runs: int) -> tuple[float, int]:
    times, total = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = store.es.search(index=store.alias, query=query, size=20, request_cache=False,
                               track_total_hits=True, sort=[{"published_at": "desc"}])
        times.append(time.perf_counter() - t0)
        total = resp["hits"]["total"]["value"]
    return statistics.median(times) * 1000, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    cfg = load_config(None)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    os.environ["YUQING_INDEX_PREFIX"] = prefix
    es = connect(cfg.elasticsearch)
    store = ItemStore(es, prefix)
    towns = [t.name for t in cfg.gazetteer.townships]

    def mixed():
        for i, ai in enumerate(synthetic(args.items, towns, random.Random(20261129))):
            if i % 5 == 0:
                it = ai.item
                ai = ai.model_copy(update={"item": it.model_copy(update={
                    "title": traditional(it.title), "text": traditional(it.text)})})
            yield ai

    try:
        store.ensure_template()
        store.index(mixed(), NOW, refresh=True)
        node = SCHEME.compile()
        with mock.patch.object(phrase, "_positions", lambda word: None):
            plain = node.query()
        spelled = node.query()
        for q in (plain, spelled):  # warm both up
            timed(store, q, 3)
        for name, q in (("plain phrases", plain), ("every spelling", spelled)):
            ms, total = timed(store, q, args.runs)
            print(f"{name:>15}: median {ms:6.1f} ms, {total} of {args.items} items")
    finally:
        drop_prefix(es, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
