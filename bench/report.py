"""Report generation time with 100,000 items in Elasticsearch (run by hand, not in CI).

    YUQING_ES_PORT=9233 .venv/bin/python bench/report.py [--items 100000]

Bulk-loads synthetic but realistically shaped items (three weeks; news, forum and board
sources; the county's townships; categories; keywords from a vocabulary; events with a
long-tailed size distribution; forum engagement) and a few hundred alerts into a
throw-away index prefix, then times ``yuqing report weekly`` for each format, both as the
command (a fresh process: imports, font cache, ES round trips) and in process (gather +
compose + render only). The prefix is removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage import AlertStore, ItemStore, connect  # noqa: E402
from storage.admin import drop_prefix  # noqa: E402
from yuqing.config import load_config  # noqa: E402
from yuqing.records import (  # noqa: E402
    SHANGHAI,
    Alert,
    AlertItem,
    Analysis,
    AnalyzedItem,
    Item,
    Metrics,
    SentimentLabel,
    Severity,
    SourceKind,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)  # a Tuesday: report week 2026-W47
START = NOW - timedelta(days=22)
CATEGORIES = ["城乡建设", "生态环境", "交通运输", "教育", "卫生健康", "劳动和社会保障",
              "农业农村", "公共安全", "市场监管", "民政", "文化旅游", None]
TOPICS = ["自来水", "停水", "噪音", "垃圾", "拆迁", "工资", "拖欠", "学校", "医院", "道路",
          "施工", "扰民", "物业", "停车", "油烟", "排污", "医保", "低保", "路灯", "公交",
          "养殖", "臭味", "补贴", "占道", "违建", "收费", "供暖", "燃气", "快递", "菜市场"]
VERBS = ["反映", "投诉", "求助", "咨询", "建议", "曝光", "质疑", "感谢", "点赞", "通报"]


def synthetic(n: int, townships: list[str], rng: random.Random) -> Iterator[AnalyzedItem]:
    sources = ([(f"news-{i}", SourceKind.news) for i in range(6)]
               + [(f"forum-{i}", SourceKind.forum) for i in range(4)]
               + [(f"board-{i}", SourceKind.board) for i in range(2)])
    weights = [3] * 6 + [10] * 4 + [6] * 2
    n_events = max(1, n // 40)
    span = (NOW - START).total_seconds()
    for i in range(n):
        src, kind = rng.choices(sources, weights)[0]
        # Volume grows a little over the three weeks, with a daily rhythm.
        when = START + timedelta(seconds=span * rng.random() ** 0.9)
        when = when.replace(hour=rng.choices(range(24), [1] * 7 + [4] * 16 + [2])[0])
        topic = rng.choice(TOPICS)
        town = rng.choice(townships) if rng.random() < 0.7 else None
        sentiment = rng.betavariate(2, 2.5)
        label = (SentimentLabel.negative if sentiment < 0.4 else
                 SentimentLabel.positive if sentiment > 0.6 else SentimentLabel.neutral)
        event = (f"ev{int(rng.paretovariate(1.2)) % n_events:06d}"
                 if rng.random() < 0.6 else None)
        title = f"{town or '县城'}{topic}问题{rng.choice(VERBS)}（{i}）"
        url = f"https://{src}.example.cn/t/{i}"
        metrics = (Metrics(replies=int(rng.expovariate(0.1)), views=int(rng.expovariate(0.002)),
                           likes=int(rng.expovariate(0.3)))
                   if kind is SourceKind.forum else Metrics())
        item = Item(id=f"{i:012d}", url=url, source_id=src, source_kind=kind, title=title,
                    text=title + "。" + "群众反映情况属实，希望有关部门尽快处理。" * 3,
                    published_at=when, fetched_at=when + timedelta(minutes=10),
                    metrics=metrics)
        complaint = label is SentimentLabel.negative and rng.random() < 0.7
        yield AnalyzedItem(item=item, analysis=Analysis(
            tokens=[topic, "问题", "反映"], keywords=rng.sample(TOPICS, 3) + [topic],
            sentiment=sentiment, sentiment_label=label, complaint=complaint,
            complaint_score=0.8 if complaint else 0.2, category=rng.choice(CATEGORIES),
            townships=[town] if town else [], places=[], event_id=event))


def alerts(n: int, townships: list[str], rng: random.Random) -> list[Alert]:
    out = []
    for i in range(n):
        fired = START + timedelta(seconds=(NOW - START).total_seconds() * rng.random())
        town = rng.choice(townships)
        out.append(Alert(
            id=f"bench-{i:05d}", rule="growing_event", severity=Severity.warning,
            title=f"{town}诉求快速增长", summary="", fired_at=fired,
            labels={"event": f"ev{rng.randrange(50):06d}", "township": town}, count=8,
            baseline=2.0, top_items=[AlertItem(title="依据", url=f"https://x.example/{i}")]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--alerts", type=int, default=300)
    args = ap.parse_args()
    cfg = load_config(None)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    os.environ["YUQING_INDEX_PREFIX"] = prefix
    es = connect(cfg.elasticsearch)
    store = ItemStore(es, prefix)
    rng = random.Random(20261124)
    towns = [t.name for t in cfg.gazetteer.townships]
    try:
        store.ensure_template()
        t0 = time.perf_counter()
        res = store.index(synthetic(args.items, towns, rng), NOW, refresh=True)
        print(f"loaded {res.indexed} items ({len(res.failed)} failed) in "
              f"{time.perf_counter() - t0:.1f}s into {prefix}")
        a_store = AlertStore(es, prefix)
        a_store.ensure()
        batch = alerts(args.alerts, towns, rng)
        a_store.upsert(batch, NOW, refresh=True)
        for a in batch[: len(batch) * 2 // 3]:
            handled = a.fired_at + timedelta(hours=rng.choice([1, 3, 8, 20, 30]))
            es.update(index=a_store.index, id=a.id, doc={
                "handled_at": handled.isoformat(), "acknowledged_at": handled.isoformat(),
                "handled_by": "bench", "handle_note": "已处置"})
        a_store.refresh()
        print(f"{store.count()} items, {args.alerts} alerts in Elasticsearch")
        _time_reports(cfg)
    finally:
        names = drop_prefix(es, prefix)
        print(f"removed {prefix} ({len(names)} indices)")
    return 0


def _time_reports(cfg) -> None:
    from reports import build, write

    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("docx", "html", "md"):
            out = Path(tmp) / f"weekly.{fmt}"
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "yuqing.cli", "report", "weekly", "--format", fmt,
                 "--out", str(out), "--now", NOW.isoformat()],
                capture_output=True, text=True, env=os.environ.copy())
            wall = time.perf_counter() - t0
            if proc.returncode:
                raise SystemExit(proc.stderr)
            print(f"yuqing report weekly --format {fmt:<4}: {wall:6.2f}s wall "
                  f"({out.stat().st_size // 1024} KB)  {proc.stdout.strip()}")
        for _ in range(2):  # the second run shows the warm cost (caches, JIT of the node)
            t0 = time.perf_counter()
            data, doc = build(cfg, "weekly", None, NOW)
            t1 = time.perf_counter()
            for fmt in ("docx", "html", "md"):
                write(doc, fmt, Path(tmp) / f"inproc.{fmt}")
            t2 = time.perf_counter()
            print(f"in process: gather+compose+charts {t1 - t0:.2f}s, render 3 formats "
                  f"{t2 - t1:.2f}s; week items {data.volume.total}, events "
                  f"{len(data.events)}, alerts {data.handling.fired}")


if __name__ == "__main__":
    sys.exit(main())
