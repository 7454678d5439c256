"""Argument types shared by the sub-commands.

A value that does not parse raises ``argparse.ArgumentTypeError``, which argparse reports as
a one-line usage error naming the option (``argument --at: 'x' is not an ISO-8601 time``)
with exit status 2, instead of a traceback from deep inside the command.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from yuqing.records import SHANGHAI

TIME_EXAMPLE = "e.g. 2026-11-20T08:30 or 2026-11-20T08:30:00+08:00"


def iso_time(text: str) -> datetime:
    """An ISO-8601 time in Asia/Shanghai (the configured timezone); a time without an offset
    is read as Asia/Shanghai, one with an offset is converted to it."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time ({TIME_EXAMPLE})") from None
    return t.astimezone(SHANGHAI) if t.tzinfo else t.replace(tzinfo=SHANGHAI)
