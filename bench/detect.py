"""Detection cycle time with 100,000 items in Elasticsearch (run by hand, not in CI).

    YUQING_ES_PORT=9237 .venv/bin/python bench/detect.py [--items 100000] [--cycles 10]

Loads the synthetic three weeks of bench/report.py into a throw-away index prefix, then
runs ``detect_cycle`` (detection + alert state + routing, no delivery) once a simulated
minute, with the minute's new items (about 5, the same rate) written before each cycle:
first re-reading the whole window every cycle (the baseline: what every cycle did before
the observation cache), then with the cache (``yuqing.observations``: a full read once,
then only the new writes). Prints the time per cycle of both and the ratio. The prefix
and the temporary data directory are removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report import NOW, synthetic  # noqa: E402

from storage import ItemStore, connect  # noqa: E402
from storage.admin import drop_prefix  # noqa: E402
from yuqing import jobs  # noqa: E402
from yuqing.config import load_config  # noqa: E402
from yuqing.observations import ObservationCache  # noqa: E402


def run_cycles(cfg, store, cache: ObservationCache, start, cycles: int, fresh,
               ) -> list[float]:
    jobs._OBSERVATIONS = cache
    times = []
    for m in range(cycles):
        now = start + timedelta(minutes=m)
        store.index(fresh(now), now, refresh=True)
        t0 = time.perf_counter()
        report = jobs.detect_cycle(cfg, now, deliver=False)
        times.append(time.perf_counter() - t0)
        print(f"  cycle {m}: {times[-1] * 1000:7.0f} ms, {report.observed} observations, "
              f"read {cache.last_read} ({cache.last_docs} docs)")
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--cycles", type=int, default=10)
    args = ap.parse_args()
    cfg = load_config(None)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    os.environ["YUQING_INDEX_PREFIX"] = prefix
    data_dir = tempfile.mkdtemp(prefix="yuqing-bench-detect-")
    os.environ["YUQING_DATA_DIR"] = data_dir
    es = connect(cfg.elasticsearch)
    store = ItemStore(es, prefix)
    rng = random.Random(20261124)
    towns = [t.name for t in cfg.gazetteer.townships]
    per_minute = max(1, round(args.items / (22 * 24 * 60)))
    counter = iter(range(10**9, 2 * 10**9))

    def fresh(now):
        items = list(synthetic(per_minute, towns, rng))
        return [ai.model_copy(update={"item": ai.item.model_copy(update={
            "id": f"{next(counter):012d}", "published_at": now, "fetched_at": now})})
            for ai in items]

    try:
        store.ensure_template()
        t0 = time.perf_counter()
        res = store.index(synthetic(args.items, towns, rng), NOW, refresh=True)
        print(f"loaded {res.indexed} items in {time.perf_counter() - t0:.1f}s into {prefix}; "
              f"{per_minute} new item(s) a minute")
        print("baseline: the whole window read every cycle")
        base = run_cycles(cfg, store, ObservationCache(full_every=timedelta(0)), NOW,
                          args.cycles, fresh)
        print("cached: a full read once, then only new writes")
        # The safety margin (5 minutes in production, for refresh delay and clock skew
        # between hosts) would re-read the 100,000 items written seconds ago; 2 s here
        # gives the steady state, where it re-reads about 5 minutes of writes.
        margin = timedelta(seconds=2)
        time.sleep(margin.total_seconds() + 0.5)  # the bulk load is now older than it
        ours = run_cycles(cfg, store, ObservationCache(margin=margin),
                          NOW + timedelta(hours=1), args.cycles, fresh)
        steady_base, steady_ours = statistics.median(base[1:]), statistics.median(ours[1:])
        print(f"median cycle after the first: baseline {steady_base * 1000:.0f} ms, "
              f"cached {steady_ours * 1000:.0f} ms, ratio {steady_base / steady_ours:.1f}x; "
              f"first cached cycle {ours[0] * 1000:.0f} ms; peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
    finally:
        names = drop_prefix(es, prefix)
        shutil.rmtree(data_dir, ignore_errors=True)
        print(f"removed {prefix} ({len(names)} indices) and {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
