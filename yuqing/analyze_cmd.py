"""``yuqing analyze``: JSON lines in, one analysed JSON line out per input line, in order.

Input: ``{"id", "title", "text", "published_at"}`` plus optional ``"source"``, ``"url"``,
``"metrics"`` ({replies, views, likes}) and ``"region"`` (see ``yuqing.jsonl_input``).
Output: the input fields plus ``keywords``, ``sentiment``, ``sentiment_label``,
``complaint``, ``complaint_score``, ``category``, ``places``, ``townships``, ``event_id``.
A line that cannot be read or analysed yields ``{"line": N, "error": "..."}`` in its place
(order kept), is reported on stderr, and makes the exit status 1 once everything else is
done. A number JSON cannot hold (NaN, Infinity, 1e999: Python reads them) is passed
through as null. Of a text longer than ``analysis.max_chars`` (config) the head is
analysed (places: all of it); stderr counts such lines. Each line is written as soon as it
and the lines before it are done, so a live feed piped in gets its results live. A worker
process that dies (OOM killer, a crash) costs only the line it was analysing (an error
line, as above); a new worker carries on; so does one stuck on a line for longer than
``--item-timeout``, which is killed (also with ``--workers 1``: that one worker is a
process of its own, watched). If workers keep dying, the run stops with one message on
stderr and exit status 3.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from analysis.workers import ITEM_TIMEOUT
from yuqing.jsonl_input import FUTURE_SLACK, BadLine, LineReader
from yuqing.records import SHANGHAI


def run(config_path: str | None, stdin: Iterable[str | bytes], stdout: TextIO,
        stderr: TextIO, workers: int | None = None,
        item_timeout: float | None = ITEM_TIMEOUT) -> int:
    from analysis.batch import analyze_docs, default_workers
    from analysis.pipeline import Analyzer
    from analysis.workers import WorkersKeepDying
    from yuqing.arraycache import model_cache
    from yuqing.config import load_config

    cfg = load_config(config_path)
    analyzer = Analyzer.from_config(cfg, cache=model_cache(cfg))
    reader = LineReader(now=lambda: datetime.now(SHANGHAI))
    n_workers = workers if workers is not None else default_workers()
    results = analyze_docs(analyzer, reader.read(stdin), workers=n_workers,
                           item_timeout=item_timeout,
                           on_worker_death=lambda note: print(f"analyze: {note}",
                                                              file=stderr, flush=True))
    tally = _Tally()
    try:
        _write(results, stdout, stderr, tally)
    except WorkersKeepDying as exc:
        print(f"analyze: stopped: {exc}; results written up to input line "
              f"{tally.last_line}, the lines after it were not analysed", file=stderr)
        return 3
    if tally.truncated:
        more = ", ..." if tally.truncated > len(tally.truncated_lines) else ""
        print(f"analyze: note: {tally.truncated} line(s) with a text longer than "
              f"analysis.max_chars ({analyzer.max_chars}): keywords, sentiment, complaint "
              f"and events read its first {analyzer.max_chars} characters, places all of it "
              f"(line {', '.join(map(str, tally.truncated_lines))}{more})", file=stderr)
    return _report_input(reader, tally.bad, stderr)


@dataclass
class _Tally:
    bad: int = 0
    last_line: int = 0  # of the input, the last one whose result is written
    truncated: int = 0
    truncated_lines: list[int] = field(default_factory=list)  # the first few


def _write(results: Iterable[tuple[Any, Any, str | None]], stdout: TextIO, stderr: TextIO,
           tally: _Tally) -> None:
    from analysis.batch import Failed

    for doc, f, event_id in results:
        if isinstance(doc, Failed):
            doc = BadLine(doc.doc.line or 0, f"line {doc.doc.line}: {doc.error}")
        if isinstance(doc, BadLine):
            tally.bad += 1
            tally.last_line = doc.line
            print(f"analyze: {doc.error}", file=stderr)
            stdout.write(json.dumps({"line": doc.line, "error": doc.error},
                                    ensure_ascii=False) + "\n")
        else:
            assert f is not None
            tally.last_line = doc.line or tally.last_line
            if f.truncated:
                tally.truncated += 1
                if len(tally.truncated_lines) < 10:
                    tally.truncated_lines.append(doc.line or 0)
            out = dict(doc.payload)
            out.update({
                "keywords": f.keywords,
                "sentiment": f.sentiment,
                "sentiment_label": f.sentiment_label.value,
                "complaint": f.complaint,
                "complaint_score": f.complaint_score,
                "category": f.category,
                "places": f.places,
                "townships": f.townships,
                "event_id": event_id,
            })
            stdout.write(_dumps(out) + "\n")
        # A reader of a live feed waits for this line; a flush is cheap next to analysis.
        stdout.flush()


def _dumps(out: dict[str, Any]) -> str:
    # Python reads NaN, Infinity and 1e999 in the input, but they are not JSON: echoed
    # as they are, the output line would be refused by every other JSON reader (jq,
    # JavaScript, Elasticsearch). They pass through as null.
    try:
        return json.dumps(out, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(out), ensure_ascii=False, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _report_input(reader: LineReader, bad: int, stderr: TextIO) -> int:
    if reader.undated:
        more = ", ..." if reader.undated > len(reader.undated_lines) else ""
        print(f"analyze: warning: {reader.undated} line(s) with published_at null, taken "
              f"as published now (line {', '.join(map(str, reader.undated_lines))}{more})",
              file=stderr)
    if reader.future:
        more = ", ..." if reader.future > len(reader.future_lines) else ""
        hours = int(FUTURE_SLACK.total_seconds() // 3600)
        print(f"analyze: warning: {reader.future} line(s) with published_at more than "
              f"{hours} h after now, a wrong date: taken as published now (line "
              f"{', '.join(map(str, reader.future_lines))}{more})", file=stderr)
    if summary := reader.bad_metrics_summary("analyze"):
        print(summary, file=stderr)
    if summary := reader.not_utf8_summary("analyze"):
        print(summary, file=stderr)
    if bad:
        print(f"analyze: {bad} unreadable line(s)", file=stderr)
    return 1 if bad else 0


def main_stdio(config_path: str | None, workers: int | None,
               item_timeout: float | None = ITEM_TIMEOUT) -> int:
    # Bytes, decoded line by line: input that is not UTF-8 spoils only its own lines.
    # A reader of our own, not sys.stdin.buffer: when the run ends with the input still
    # open (workers keep dying, Ctrl-C) a thread is blocked reading it, holding its lock,
    # and the interpreter, closing sys.stdin on exit, would abort (SIGABRT) on that lock.
    stdin = open(sys.stdin.fileno(), "rb", closefd=False)  # noqa: SIM115
    return run(config_path, stdin, sys.stdout, sys.stderr, workers, item_timeout)
