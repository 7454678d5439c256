"""``yuqing replay FILE.jsonl``: backtest detection and routing on a recorded stream.

The same JSON lines ``yuqing analyze`` reads; ``published_at`` drives a simulated clock.
Nothing is crawled, nothing is sent, no Elasticsearch is needed. Every alert that would
have fired is printed as one JSON line. Deterministic: the same input and configuration
give the same output, byte for byte, whatever the number of worker processes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from yuqing.records import SHANGHAI, Alert


@dataclass
class ReplayStats:
    items: int = 0
    bad_lines: int = 0
    out_of_order: int = 0
    alerts: int = 0


def alert_line(alert: Alert, receivers: list[str]) -> str:
    return json.dumps({
        "fired_at": alert.fired_at.isoformat(),
        "rule": alert.rule,
        "severity": alert.severity.value,
        "title": alert.title,
        "summary": alert.summary,
        "keywords": alert.keywords,
        "places": alert.places,
        "category": alert.category,
        "item_ids": alert.item_ids,
        "count": alert.count,
        "baseline": alert.baseline,
        "score": alert.score,
        "receivers": receivers,
    }, ensure_ascii=False)


def replay(lines: Iterator[str], cfg, *, workers: int = 1,
           receivers_for: Callable[[Alert], list[str]] | None = None,
           stderr: TextIO = sys.stderr) -> Iterator[tuple[Alert, list[str]]]:
    """Yield (alert, receivers) in stream order; stats are reported on stderr."""
    from analysis.batch import analyze_docs
    from analysis.pipeline import Analyzer
    from detection.detector import Detector, Observation
    from detection.sensitivity import sensitivity_at
    from yuqing.analyze_cmd import BadLine, read_docs
    from yuqing.arraycache import model_cache

    stats = ReplayStats()
    epoch = datetime(1970, 1, 1, tzinfo=SHANGHAI)
    docs = []
    for _, doc in read_docs(lines, epoch):
        if isinstance(doc, BadLine):
            stats.bad_lines += 1
            print(f"replay: skipped {doc.error}", file=stderr)
            continue
        if docs and doc.when < docs[-1].when:
            stats.out_of_order += 1
        docs.append(doc)
    # A recorded stream is replayed in time order; ties keep their input order.
    docs.sort(key=lambda d: d.when)
    analyzer = Analyzer.from_config(cfg, cache=model_cache(cfg))
    detector = Detector()
    schemes = [sc.compile() for sc in cfg.schemes if sc.enabled]
    route = receivers_for or _router(cfg)
    for doc, f, event_id in analyze_docs(analyzer, docs, workers=workers):
        assert f is not None
        stats.items += 1
        obs = Observation(
            id=doc.id, title=doc.title, when=doc.when, complaint=f.complaint,
            negative=f.sentiment_label.value == "negative", category=f.category,
            townships=tuple(f.townships), places=tuple(f.places), event_id=event_id,
            keywords=tuple(f.keywords),
            schemes=tuple(sc.name for sc in schemes if sc.match(doc.title, doc.text)))
        keys = detector.observe(obs)
        if not keys:
            continue
        s = sensitivity_at(doc.when, factors=cfg.watch.sensitivity_factor)
        for alert in detector.evaluate(doc.when, keys, s):
            stats.alerts += 1
            yield alert, route(alert)
    print(f"replay: {stats.items} items, {stats.alerts} alerts, {stats.bad_lines} bad lines, "
          f"{stats.out_of_order} out of order (sorted)", file=stderr)


def _router(cfg) -> Callable[[Alert], list[str]]:
    """Receivers from the configured route tree, as a dry run (silences are live state
    and do not apply to a backtest)."""
    from alerts.routing import dry_run

    def receivers(alert: Alert) -> list[str]:
        decisions = dry_run(cfg.alerting, [alert], alert.fired_at)
        return list(decisions[0].receivers) if decisions else []

    return receivers


def run(path: str, config_path: str | None, stdout: TextIO, stderr: TextIO,
        workers: int | None = None) -> int:
    from analysis.batch import default_workers
    from yuqing.config import load_config

    cfg = load_config(config_path)
    try:
        fh = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        print(f"replay: cannot read {path}: {exc.strerror or exc}", file=stderr)
        return 2
    with fh:
        n = workers if workers is not None else default_workers()
        for alert, receivers in replay(iter(fh), cfg, workers=n, stderr=stderr):
            stdout.write(alert_line(alert, receivers) + "\n")
    stdout.flush()
    return 0
