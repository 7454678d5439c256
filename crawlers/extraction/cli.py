"""``yuqing extract [FILE...] [--url URL] [--now ISO]``: one JSON line per page.

With no FILE, stdin holds either JSON lines ``{"path": ..., "url": ...}`` (it starts with
``{``) or the HTML of one page (anything else); a FILE of ``-`` is one page from stdin. A
file that cannot be read or parsed yields an ``{"path", "error"}`` line in its place (so
output lines stay aligned with inputs), a message on stderr, and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime
from itertools import chain
from typing import TextIO

from crawlers.extraction import extract
from yuqing.cliargs import EXTRACT_DESCRIPTION, STDIN, add_extract_arguments
from yuqing.records import SHANGHAI


def _parser() -> argparse.ArgumentParser:
    return add_extract_arguments(argparse.ArgumentParser(prog="yuqing extract",
                                                         description=EXTRACT_DESCRIPTION))


def _split_stdin(stdin: TextIO) -> tuple[bytes | None, Iterator[str | bytes]]:
    """(the page, no lines) or (None, request lines), told apart by the first non-blank
    character (after a UTF-8 BOM), which is all that is read ahead: requests still stream
    line by line."""
    raw = getattr(stdin, "buffer", None)
    if raw is None:  # a text stream (tests): the page is taken as UTF-8
        head = ""
        while (c := stdin.read(1)) and (c.isspace() or c == "\ufeff"):
            head += c
        if c and c != "{":
            return (head + c + stdin.read()).encode("utf-8"), iter(())
        return None, chain((head + c + stdin.readline()).splitlines(keepends=True), stdin)
    head_b = b""
    while (b := raw.read(1)) and (b.isspace() or (head_b + b).strip() in _BOM_PREFIXES):
        head_b += b
    if b and b != b"{":
        return head_b + b + raw.read(), iter(())
    # Bytes, decoded one line at a time in ``_jobs``: a line that is not UTF-8 (a path
    # listed in GBK) is an error line of its own instead of ending the whole batch.
    return None, chain((head_b + b + raw.readline()).splitlines(keepends=True), raw)


def _page_from_stdin(stdin: TextIO) -> bytes:
    raw = getattr(stdin, "buffer", None)
    return raw.read() if raw is not None else stdin.read().encode("utf-8")


_BOM_PREFIXES = (b"\xef", b"\xef\xbb", b"\xef\xbb\xbf")

Job = tuple[str, str | None, bytes | None]  # path (or label), url, body when already read


def _jobs(args: argparse.Namespace, stdin: TextIO) -> Iterator[Job]:
    if args.files:
        for path in args.files:
            yield path, args.url, _page_from_stdin(stdin) if path == STDIN else None
        return
    page, lines = _split_stdin(stdin)
    if page is not None:
        yield "<stdin>", args.url, page
        return
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            if isinstance(line, bytes):
                line = line.decode("utf-8-sig" if lineno == 1 else "utf-8")
            job = json.loads(line.lstrip("\ufeff"))
            yield str(job["path"]), job.get("url") or args.url, None
        except UnicodeDecodeError as exc:
            yield (f"<stdin line {lineno}>", f"\0not UTF-8: byte 0x{exc.object[exc.start]:02x} "
                   f"at byte {exc.start} of the line", None)
        except (ValueError, KeyError, TypeError) as exc:
            yield f"<stdin line {lineno}>", f"\0{exc}", None  # marks a bad request line


def run(args: argparse.Namespace, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
        stderr: TextIO = sys.stderr) -> int:
    # trafilatura logs a WARNING for every page it finds little in; the JSON says it all.
    noisy = logging.getLogger("trafilatura")
    level = noisy.level
    noisy.setLevel(logging.ERROR)
    try:
        return _extract_all(args, stdin, stdout, stderr)
    finally:
        noisy.setLevel(level)


def _extract_all(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO
                 ) -> int:
    now = args.now or datetime.now(SHANGHAI)
    failures = 0
    for path, url, body in _jobs(args, stdin):
        try:
            if url and url.startswith("\0"):
                raise ValueError(f"bad JSON request: {url[1:]}")
            if body is None:
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


def main(argv: list[str], stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
         stderr: TextIO = sys.stderr) -> int:
    return run(_parser().parse_args(argv), stdin, stdout, stderr)
