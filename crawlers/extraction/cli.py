"""``yuqing extract FILE... [--url URL] [--now ISO]``: one JSON line per page.

With no FILE, reads JSON lines ``{"path": ..., "url": ...}`` from stdin. A file that
cannot be read or parsed yields an ``{"path", "error"}`` line in its place (so output
lines stay aligned with inputs), a message on stderr, and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from crawlers.extraction import extract
from yuqing.records import SHANGHAI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yuqing extract",
                                     description="Extract title, text, date, author.")
    parser.add_argument("files", nargs="*", metavar="FILE")
    parser.add_argument("--url", help="page URL (helps dates and forum detection)")
    parser.add_argument("--now", help="ISO time to resolve relative dates against "
                                      "(default: now, Asia/Shanghai)")
    return parser


def _jobs(args: argparse.Namespace, stdin: TextIO) -> Iterator[tuple[str, str | None]]:
    if args.files:
        for path in args.files:
            yield path, args.url
        return
    for lineno, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            yield str(job["path"]), job.get("url") or args.url
        except (ValueError, KeyError, TypeError) as exc:
            yield f"<stdin line {lineno}>", f"\0{exc}"  # marks a bad request line


def main(argv: list[str], stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
         stderr: TextIO = sys.stderr) -> int:
    args = _parser().parse_args(argv)
    try:
        now = datetime.fromisoformat(args.now) if args.now else datetime.now(SHANGHAI)
    except ValueError:
        print(f"yuqing extract: --now is not an ISO 8601 time: {args.now!r}", file=stderr)
        return 2
    if now.tzinfo is None:
        now = now.replace(tzinfo=SHANGHAI)

    failures = 0
    for path, url in _jobs(args, stdin):
        try:
            if url and url.startswith("\0"):
                raise ValueError(f"bad JSON request: {url[1:]}")
            with open(path, "rb") as fh:
                body = fh.read()
            page = extract(body, url, fetched_at=now)
            record: dict[str, object] = {
                "title": page.title,
                "text": page.text,
                "published_at": page.published_at.isoformat() if page.published_at else None,
                "author": page.author,
                "encoding": page.encoding,
            }
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            failures += 1
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"yuqing extract: {path}: {reason}", file=stderr)
            record = {"path": path, "error": reason}
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
    return 1 if failures else 0
