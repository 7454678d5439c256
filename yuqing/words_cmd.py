"""``yuqing words``: propose frequent words the segmenter's dictionary does not know.

Reads title + text from JSON lines on stdin (as for ``yuqing analyze``) or, with
``--days N``, from the items stored in the last N days. Prints the candidates, best first,
and a ``user_words`` snippet to paste into the configuration after review; ``--json``
prints one JSON object per candidate instead (word, count, docs, score, cohesion,
left_entropy, right_entropy, example). Words already in the gazetteer or in
``analysis.user_words`` are never proposed.

The lines are checked as ``yuqing analyze`` checks them (``yuqing.jsonl_input``: UTF-8,
JSON, types), but only ``title`` and ``text`` are read, and one of them is enough: a word
count needs no id or time. A line that cannot be read is reported on stderr by number,
skipped, counted, and makes the exit status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import BinaryIO, TextIO

from yuqing.config import Config
from yuqing.jsonl_input import BadLine, LineReader
from yuqing.records import SHANGHAI


def texts_from_lines(lines: Iterable[str | bytes], reader: LineReader, bad: list[BadLine],
                     stderr: TextIO) -> Iterator[str]:
    """Title and text of each good line; each bad one is reported now and kept in
    ``bad``."""
    for got in reader.texts(lines):
        if isinstance(got, BadLine):
            bad.append(got)
            print(f"words: skipped stdin {got.error}", file=stderr)
            continue
        yield f"{got[0]}\n{got[1]}"


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
    from analysis.simplify import to_simplified

    segmenter = county_segmenter(cfg.gazetteer, cfg.analysis.user_words,
                                 cfg.analysis.segmenter)
    known = dictionary_words() | set(segmenter.user_words)
    # Proposed words are for the analyser, which reads simplified characters: 渣土車 in a
    # traditional post is 渣土车, and the gazetteer's 河口镇 is known however it is written.
    cands = propose_words(list(map(to_simplified, texts)), known, segmenter.tokens, top=top,
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


def main(cfg: Config, args, stdin: BinaryIO | TextIO | None = None,
         stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    # Bytes, decoded line by line: input that is not UTF-8 spoils only its own lines.
    lines = stdin if stdin is not None else sys.stdin.buffer
    bad: list[BadLine] = []
    reader = LineReader(now=None)
    texts = (texts_from_store(cfg, args.days, datetime.now(SHANGHAI)) if args.days
             else texts_from_lines(lines, reader, bad, stderr))
    run(cfg, texts, stdout, as_json=args.json, top=args.top, min_count=args.min_count,
        min_docs=args.min_docs)
    if summary := reader.not_utf8_summary("words"):
        print(summary, file=stderr)
    if bad:
        print(f"words: {len(bad)} unreadable line(s) skipped (line "
              f"{', '.join(str(b.line) for b in bad[:10])}{', ...' if len(bad) > 10 else ''})",
              file=stderr)
    return 1 if bad else 0
