"""``yuqing words``: propose frequent words the segmenter's dictionary does not know.

Reads title + text from JSON lines on stdin (as for ``yuqing analyze``) or, with
``--days N``, from the items stored in the last N days. Prints the candidates, best first,
and a ``user_words`` snippet to paste into the configuration after review; ``--json``
prints one JSON object per candidate instead (word, count, docs, score, cohesion,
left_entropy, right_entropy, example). Words already in the gazetteer or in
``analysis.user_words`` are never proposed. A line that cannot be read is reported on
stderr and skipped, and makes the exit status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TextIO

from yuqing.config import Config
from yuqing.records import SHANGHAI


def texts_from_lines(lines: Iterable[str], bad: list[str]) -> Iterator[str]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict) or not ("title" in raw or "text" in raw):
                raise ValueError("not a JSON object with a title or text")
        except ValueError as exc:
            bad.append(f"stdin line {n}: {exc}")
            continue
        yield f"{raw.get('title') or ''}\n{raw.get('text') or ''}"


def texts_from_store(cfg: Config, days: float, now: datetime) -> Iterator[str]:
    from storage import open_store

    for d in open_store(cfg).iter_query({"match_all": {}}, since=now - timedelta(days=days),
                                        fields=["title", "text"]):
        yield f"{d.get('title') or ''}\n{d.get('text') or ''}"


def run(cfg: Config, texts: Iterable[str], out: TextIO, *, as_json: bool, top: int,
        min_count: int, min_docs: int) -> int:
    from analysis.newwords import propose_words
    from analysis.pipeline import county_segmenter
    from analysis.segment import dictionary_words, stopwords

    segmenter = county_segmenter(cfg.gazetteer, cfg.analysis.user_words,
                                 cfg.analysis.segmenter)
    known = dictionary_words() | set(segmenter.user_words)
    cands = propose_words(list(texts), known, segmenter.tokens, top=top,
                          min_count=min_count, min_docs=min_docs, stop=stopwords())
    if as_json:
        for c in cands:
            out.write(json.dumps(c.to_json_dict(), ensure_ascii=False) + "\n")
        return len(cands)
    for c in cands:
        out.write(f"{c.word:<8}\t{c.count:>5} times in {c.docs:>4} texts\tscore {c.score:>7}"
                  f"\t…{c.example}…\n")
    if cands:
        out.write("\n# after review, add the real words to the configuration:\nanalysis:\n"
                  "  user_words: [" + ", ".join(c.word for c in cands) + "]\n")
    else:
        out.write("no candidates (too little text, or every frequent word is known)\n")
    return len(cands)


def main(cfg: Config, args, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
         stderr: TextIO = sys.stderr) -> int:
    bad: list[str] = []
    texts = (texts_from_store(cfg, args.days, datetime.now(SHANGHAI)) if args.days
             else texts_from_lines(stdin, bad))
    run(cfg, texts, stdout, as_json=args.json, top=args.top, min_count=args.min_count,
        min_docs=args.min_docs)
    for msg in bad:
        print(f"skipped {msg}", file=stderr)
    return 1 if bad else 0
