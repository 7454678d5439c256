"""``yuqing replay FILE.jsonl``: backtest detection and routing on a recorded stream.

The same JSON lines ``yuqing analyze`` reads; ``published_at`` drives a simulated clock.
Nothing is crawled, nothing is sent, no Elasticsearch is needed. Every alert that would
have fired is printed as one JSON line. Deterministic: the same input and configuration
give the same output, byte for byte, whatever the number of worker processes. A worker
process that dies (OOM killer, a crash) costs only the item it was analysing, skipped and
reported like a bad line; if workers keep dying the replay stops, exit status 3.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from analysis.workers import ITEM_TIMEOUT
from yuqing.jsonl_input import BadLine, LineReader
from yuqing.records import Alert

if TYPE_CHECKING:
    from analysis.batch import Doc


@dataclass
class ReplayStats:
    items: int = 0
    bad_lines: int = 0
    out_of_order: int = 0
    truncated: int = 0  # texts longer than analysis.max_chars, analysed on their head
    alerts: int = 0
    not_utf8: bool = False  # no line could be read, and some were not UTF-8


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


def replay(lines: Iterable[str | bytes], cfg, *, workers: int = 1,
           item_timeout: float | None = ITEM_TIMEOUT,
           receivers_for: Callable[[Alert], list[str]] | None = None,
           stderr: TextIO = sys.stderr, name: str = "input",
           stats: ReplayStats | None = None) -> Iterator[tuple[Alert, list[str]]]:
    """Yield (alert, receivers) in stream order; stats are reported on stderr (and kept
    in ``stats`` when given). ``name``: the file, for messages."""
    from analysis.batch import Failed, analyze_docs
    from analysis.pipeline import Analyzer
    from detection.detector import Detector, Observation
    from detection.sensitivity import configured_sensitivity
    from yuqing.arraycache import model_cache

    stats = stats if stats is not None else ReplayStats()
    # No default time: published_at drives the clock, so an item without one is skipped.
    reader = LineReader(now=None)
    docs: list[Doc] = []
    held: list[BadLine] = []  # bad lines before the first good one: is it the whole file?
    for doc in reader.read(lines):
        if isinstance(doc, BadLine):
            stats.bad_lines += 1
            if docs:
                _skipped([doc], stderr)
            else:
                held.append(doc)
            continue
        _skipped(held, stderr)
        held = []
        if docs and doc.when < docs[-1].when:
            stats.out_of_order += 1
        docs.append(doc)
    if held and reader.first_not_utf8:  # not one good line: one message, not one a line
        line, offset = reader.first_not_utf8
        stats.not_utf8 = True
        print(f"replay: {name} is not UTF-8 (byte offset {offset}, line {line}, cannot be "
              f"decoded; {reader.not_utf8} line(s) skipped, nothing replayed); convert it "
              "first, e.g. iconv -f GBK -t UTF-8", file=stderr)
        held = [b for b in held if not b.not_utf8]
    _skipped(held, stderr)
    if summary := reader.bad_metrics_summary("replay"):
        print(summary, file=stderr)
    # A recorded stream is replayed in time order; ties keep their input order.
    docs.sort(key=lambda d: d.when)
    analyzer = Analyzer.from_config(cfg, cache=model_cache(cfg))
    detector = Detector()
    schemes = [sc.compile() for sc in cfg.schemes if sc.enabled]
    route = receivers_for or _router(cfg)
    def died(note: str) -> None:
        print(f"replay: {note}", file=stderr, flush=True)

    for doc, f, event_id in analyze_docs(analyzer, docs, workers=workers,
                                         on_worker_death=died,
                                         item_timeout=item_timeout):
        if isinstance(doc, Failed):
            stats.bad_lines += 1
            print(f"replay: skipped line {doc.doc.line}: {doc.error}", file=stderr)
            continue
        assert f is not None
        stats.items += 1
        stats.truncated += f.truncated
        obs = Observation(
            id=doc.id, title=doc.title, when=doc.when, complaint=f.complaint,
            negative=f.sentiment_label.value == "negative", category=f.category,
            townships=tuple(f.townships), places=tuple(f.places), event_id=event_id,
            keywords=tuple(f.keywords),
            schemes=tuple(sc.name for sc in schemes if sc.match(doc.title, doc.text)))
        keys = detector.observe(obs)
        if not keys:
            continue
        s = configured_sensitivity(cfg, doc.when)
        for alert in detector.evaluate(doc.when, keys, s):
            stats.alerts += 1
            yield alert, route(alert)
    print(f"replay: {stats.items} items, {stats.alerts} alerts, {stats.bad_lines} bad lines, "
          f"{stats.out_of_order} out of order (sorted)", file=stderr)
    if stats.truncated:
        print(f"replay: note: {stats.truncated} item(s) with a text longer than "
              f"analysis.max_chars ({analyzer.max_chars}), analysed on their first "
              f"{analyzer.max_chars} characters (places: all of it)", file=stderr)


def _skipped(bad: list[BadLine], stderr: TextIO) -> None:
    for b in bad:
        print(f"replay: skipped {b.error}", file=stderr)


def _router(cfg) -> Callable[[Alert], list[str]]:
    """Receivers from the configured route tree, as a dry run (silences are live state
    and do not apply to a backtest)."""
    from alerts.routing import dry_run

    def receivers(alert: Alert) -> list[str]:
        decisions = dry_run(cfg.alerting, [alert], alert.fired_at)
        return list(decisions[0].receivers) if decisions else []

    return receivers


def run(path: str, config_path: str | None, stdout: TextIO, stderr: TextIO,
        workers: int | None = None, item_timeout: float | None = ITEM_TIMEOUT) -> int:
    from analysis.batch import default_workers
    from analysis.workers import WorkersKeepDying
    from watch.calendar import configure
    from yuqing.config import load_config

    cfg = load_config(config_path)
    configure(cfg.calendar)  # configured sensitive periods set the replayed thresholds
    try:
        # Bytes, decoded line by line: a line that is not UTF-8 is skipped and reported.
        fh = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"replay: cannot read {path}: {exc.strerror or exc}", file=stderr)
        return 2
    stats = ReplayStats()
    with fh:
        n = workers if workers is not None else default_workers()
        try:
            for alert, receivers in replay(fh, cfg, workers=n, item_timeout=item_timeout,
                                           stderr=stderr,
                                           name="stdin" if path == "-" else path,
                                           stats=stats):
                stdout.write(alert_line(alert, receivers) + "\n")
        except WorkersKeepDying as exc:
            stdout.flush()
            print(f"replay: stopped: {exc}; the alerts above are from the first "
                  f"{stats.items} items only", file=stderr)
            return 3
    stdout.flush()
    return 1 if stats.not_utf8 else 0
