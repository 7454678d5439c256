"""Console page load times with 100,000 items in Elasticsearch (run by hand, not in CI).

    YUQING_ES_PORT=9235 .venv/bin/python bench/web.py [--items 100000] [--requests 200]

Loads the synthetic items of ``bench/report.py`` into a throw-away index prefix, adds a
broad monitoring scheme (so the feed query has real work: about half the items match),
starts ``yuqing web`` on 127.0.0.1 as a separate process, and times a fixed, repeating set
of feed pages (filters, both sort orders, the polled fragment) and searches, one request
at a time from this process (bounded: only 127.0.0.1, only the number asked for). Prints
p50/p95/max per kind. The prefix and the temporary data dir are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from report import NOW, synthetic  # noqa: E402

from storage import ItemStore, connect  # noqa: E402
from storage.admin import drop_prefix  # noqa: E402
from yuqing.config import DEFAULT_CONFIG, load_config  # noqa: E402

SCHEME = {"name": "民生诉求", "subjects": ["自来水", "停水", "噪音", "垃圾", "拆迁", "工资", "物业",
                                       "供暖", "燃气", "排污"],
          "events": ["反映", "投诉", "求助", "曝光", "质疑"]}
FEEDS = ["/feed", "/feed?sort=negative", "/feed?township={town}", "/feed?sentiment=negative",
         "/feed?days=7&source=forum-1", "/feed/rows", "/feed?category=生态环境&sort=negative"]
SEARCHES = ["/search?q=自来水", "/search?q=噪音 扰民", "/search?q=拖欠|工资",
            "/search?q=学校 -感谢", "/search?q=垃圾&township={town}",
            "/search?q=医院&sort=relevance", "/search?q=群众反映&sentiment=negative"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def _time(client: httpx.Client, paths: list[str], n: int, town: str) -> list[float]:
    out = []
    for i in range(n):
        path = paths[i % len(paths)].format(town=town)
        t0 = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {r.status_code} {r.text[:200]}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=210, help="per kind (feed, search)")
    args = ap.parse_args()
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-web-bench-"))
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["schemes"] = [*raw.get("schemes", []), SCHEME]
    cfg_path = tmp / "bench.yaml"
    cfg_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "YUQING_INDEX_PREFIX": prefix, "YUQING_DATA_DIR": str(tmp / "var")}
    os.environ.update({k: env[k] for k in ("YUQING_INDEX_PREFIX", "YUQING_DATA_DIR")})
    cfg = load_config(cfg_path)
    es = connect(cfg.elasticsearch)
    towns = [t.name for t in cfg.gazetteer.townships]
    server = None
    try:
        store = ItemStore(es, prefix)
        store.ensure_template()
        t0 = time.perf_counter()
        res = store.index(synthetic(args.items, towns, random.Random(20261124)), NOW,
                          refresh=True)
        print(f"loaded {res.indexed} items in {time.perf_counter() - t0:.1f}s into {prefix}")
        from web.app import console_db
        from web.db import now

        db = console_db(cfg)
        db.add_user("bench", "viewer", "bench-password", now())
        token = db.new_token("bench", "bench", now())
        port = _port()
        server = subprocess.Popen([sys.executable, "-m", "yuqing.cli", "-c", str(cfg_path),
                                   "web", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                          timeout=30, trust_env=False) as client:
            for _ in range(100):
                try:
                    if client.get("/api/me").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            total = client.get("/api/feed?size=1").json()["total"]
            print(f"feed matches {total} of {store.count()} items; warming up")
            _time(client, FEEDS + SEARCHES, 14, towns[0])
            for kind, paths in (("feed", FEEDS), ("search", SEARCHES)):
                ms = _time(client, paths, args.requests, towns[0])
                print(f"{kind:<7} n={len(ms)}  p50 {statistics.median(ms):6.1f} ms  "
                      f"p95 {_pct(ms, 0.95):6.1f} ms  max {max(ms):6.1f} ms")
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        drop_prefix(es, prefix)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
