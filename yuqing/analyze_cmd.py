"""``yuqing analyze``: JSON lines in, one analysed JSON line out per input line, in order.

Input: ``{"id", "title", "text", "published_at"}`` plus optional ``"source"``, ``"url"``,
``"metrics"`` ({replies, views, likes}) and ``"region"``. Output: the input fields plus
``keywords``, ``sentiment``, ``sentiment_label``, ``complaint``, ``complaint_score``,
``category``, ``places``, ``event_id``. A line that cannot be read yields
``{"line": N, "error": "..."}`` in its place (order kept), is reported on stderr, and
makes the exit status 1 once everything else is done. Each line is written as soon as it
and the lines before it are done, so a live feed piped in gets its results live.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from yuqing.records import SHANGHAI


@dataclass(frozen=True)
class BadLine:
    line: int
    error: str


def parse_time(value: Any, now: datetime) -> datetime:
    if value in (None, ""):
        return now
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, SHANGHAI)
    when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=SHANGHAI)  # naive times are local (Asia/Shanghai)
    return when.astimezone(SHANGHAI)


def read_docs(lines: Iterable[str], now: datetime) -> Iterator[tuple[dict[str, Any] | None,
                                                                    Any]]:
    """Yield (raw record, Doc) per non-empty line, or (None, BadLine) for a bad one."""
    from analysis.batch import Doc

    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            missing = [k for k in ("id", "title", "text") if k not in raw]
            if missing:
                raise ValueError(f"missing key(s) {', '.join(missing)}")
            metrics = raw.get("metrics") or {}
            doc = Doc(id=str(raw["id"]), title=str(raw["title"] or ""),
                      text=str(raw["text"] or ""),
                      when=parse_time(raw.get("published_at"), now),
                      region=raw.get("region"), replies=metrics.get("replies"),
                      views=metrics.get("views"), likes=metrics.get("likes"), payload=raw)
        except (ValueError, TypeError, AttributeError) as exc:
            yield None, BadLine(n, f"line {n}: {exc}")
            continue
        yield raw, doc


def run(config_path: str | None, stdin: TextIO, stdout: TextIO, stderr: TextIO,
        workers: int | None = None) -> int:
    from analysis.batch import analyze_docs, default_workers
    from analysis.pipeline import Analyzer
    from yuqing.arraycache import model_cache
    from yuqing.config import load_config

    cfg = load_config(config_path)
    analyzer = Analyzer.from_config(cfg, cache=model_cache(cfg))
    now = datetime.now(SHANGHAI)
    docs = (doc for _, doc in read_docs(stdin, now))
    bad = 0
    n_workers = workers if workers is not None else default_workers()
    for doc, f, event_id in analyze_docs(analyzer, docs, workers=n_workers):
        if isinstance(doc, BadLine):
            bad += 1
            print(f"analyze: {doc.error}", file=stderr)
            stdout.write(json.dumps({"line": doc.line, "error": doc.error},
                                    ensure_ascii=False) + "\n")
            stdout.flush()
            continue
        assert f is not None
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
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        # A reader of a live feed waits for this line; a flush is cheap next to analysis.
        stdout.flush()
    if bad:
        print(f"analyze: {bad} unreadable line(s)", file=stderr)
    return 1 if bad else 0


def main_stdio(config_path: str | None, workers: int | None) -> int:
    return run(config_path, sys.stdin, sys.stdout, sys.stderr, workers)
