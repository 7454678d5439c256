"""Argument types shared by the sub-commands, and the arguments of ``yuqing extract``
(also ``python -m crawlers.extraction``; here because that package is slow to import).

A value that does not parse raises ``argparse.ArgumentTypeError``, which argparse reports as
a one-line usage error naming the option (``argument --at: 'x' is not an ISO-8601 time``)
with exit status 2, instead of a traceback from deep inside the command.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError

from yuqing.config import validation_problems
from yuqing.records import in_shanghai

TIME_EXAMPLE = "e.g. 2026-11-20T08:30 or 2026-11-20T08:30:00+08:00"
STDIN = "-"
EXTRACT_DESCRIPTION = (
    "Extract title, text, publish date, author and encoding from saved pages: one JSON line "
    "per page. No FILE: JSON lines {path, url} on stdin, or one page's HTML on stdin "
    "(anything not starting with '{'); FILE '-' is a page on stdin.")


def iso_time(text: str) -> datetime:
    """An ISO-8601 time in Asia/Shanghai (the configured timezone); a time without an offset
    is read as Asia/Shanghai, one with an offset is converted to it."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time ({TIME_EXAMPLE})") from None
    return in_shanghai(t)


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return n


def positive_seconds(text: str) -> float:
    try:
        n = float(text)
    except ValueError:
        n = 0.0
    if not 0 < n < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return n


def option_errors(exc: ValidationError, options: Mapping[str, str]) -> list[str]:
    """One line per error of a model built from command-line options, naming the option
    (``options`` maps field to option) rather than the model's field."""
    out = []
    for key, msg in validation_problems(exc):
        field = key.split(".")[0].split("[")[0]
        if field in options:
            out.append(f"{options[field]}{key[len(field):]}: {msg}")
        elif key == "(top level)":
            out.append(msg)
        else:
            out.append(f"{key}: {msg}")
    return out


def add_extract_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("files", nargs="*", metavar="FILE", help=f"saved pages ('{STDIN}': "
                        "stdin)")
    parser.add_argument("--url", help="page URL (helps dates and forum detection); the "
                        "default for JSON lines without one")
    parser.add_argument("--now", type=iso_time, help="ISO time to resolve relative dates "
                        "against (default: now, Asia/Shanghai)")
    return parser
