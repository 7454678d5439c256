"""The JSON-lines input of ``yuqing analyze``, ``replay`` and ``words``, checked line by line.

Each line is ``{"id", "title", "text", "published_at"}`` plus optional ``"source"``,
``"url"``, ``"metrics"`` ({replies, views, likes}) and ``"region"``. A good line becomes a
``Doc``; a bad one a ``BadLine`` whose error names the line, the field and what is wrong
(every wrong field at once), so that one bad line never stops a run.

Lines may be bytes (stdin, files): they are decoded here, one at a time, so input that is
not UTF-8 spoils only its own lines, and the error gives the byte offset to look at.

``words`` reads only ``title`` and ``text`` (``LineReader.texts``): it counts words, so
an id or a time would be of no use to it, and text exported from elsewhere without them
is welcome; the fields it does not use are not checked.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analysis.batch import Doc
from yuqing.records import SHANGHAI

REQUIRED = ("id", "title", "text", "published_at")
METRICS = ("replies", "views", "likes")
# As the crawl's date check: beyond this after ``now`` a time is a wrong date, not a clock
# a little fast.
FUTURE_SLACK = timedelta(hours=12)
# A JSON \u escape of a UTF-16 surrogate: paired it is one character (an emoji), alone it
# is no character at all and cannot be written out again as UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


@dataclass(frozen=True)
class BadLine:
    line: int
    error: str
    not_utf8: bool = False  # the line's bytes, not its content


class _Wrong(ValueError):
    pass


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, as an error message says it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def parse_time(value: Any, now: datetime | None) -> datetime:
    """``published_at``: an ISO 8601 string (naive = Asia/Shanghai) or epoch seconds;
    null is ``now``, or an error when ``now`` is None."""
    if value is None:
        if now is None:
            raise _Wrong("published_at: expected an ISO 8601 string or epoch seconds, got "
                         "null (a time is required here)")
        return now
    if isinstance(value, str):
        if not value.strip():
            raise _Wrong("published_at: empty string; expected an ISO 8601 time "
                         "(null if unknown)")
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            when = _absolute(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=SHANGHAI)  # naive times are local (Asia/Shanghai)
        try:
            return when.astimezone(SHANGHAI)
        except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00
            raise _Wrong(f"published_at: {value[:40]!r} is out of range") from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, SHANGHAI)
        except (ValueError, OverflowError, OSError):
            raise _Wrong(f"published_at: {value!r} is not a usable time in epoch "
                         "seconds") from None
    raise _Wrong("published_at: expected an ISO 8601 string or epoch seconds, got "
                 f"{json_type(value)}")


def _absolute(value: str) -> datetime:
    """Exports print times the way Chinese sites do (the message board's 2019/4/25
    9:32:09, 2026年11月29日 08:30): read them as the crawl does, whole and with a year.
    Relative or yearless forms (昨天, 3小时前, 11-29) are refused: relative to what?"""
    from crawlers.extraction.dates import parse_absolute  # lxml: only when needed

    when = parse_absolute(value) if len(value) <= 64 else None
    if when is None:
        raise _Wrong(f"published_at: not a time: {value[:40]!r} (expected ISO 8601, or a "
                     "date with its year such as 2026/11/29 08:30)")
    return when


def count(value: Any, name: str) -> float | None:
    """A metric: a non-negative number, or a string of one ("12" is 12); null is absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Wrong(f"{name}: expected a number, got {json_type(value)}")
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _Wrong(f"{name}: expected a number, got {value[:40]!r}") from None
        if number.is_integer():
            number = int(number)
    if number < 0 or not math.isfinite(number):
        raise _Wrong(f"{name}: expected a count (0 or more), got {value!r}")
    return number


def _string(raw: dict[str, Any], key: str, optional: bool = False) -> str | None:
    value = raw.get(key)
    if isinstance(value, str) or (optional and value is None):
        return value
    if key == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # numeric ids (message numbers) are common and unambiguous
    expected = "a string or null" if optional else "a string"
    raise _Wrong(f"{key}: expected {expected}, got {json_type(value)}")


def _lone_surrogate(value: Any, path: str) -> str | None:
    """The path (``metrics.views``, ``tags[2]``) of the first string in ``value`` that
    holds a lone surrogate, if any."""
    if isinstance(value, str):
        return None if _encodes(value) else path or "the value"
    if isinstance(value, dict):
        items: Iterable[tuple[str, Any]] = ((f"{path}.{k}" if path else str(k), v)
                                            for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for p, v in items:
        if not _encodes(p):
            return f"a key in {path or 'the object'}"
        if found := _lone_surrogate(v, p):
            return found
    return None


def _keep_few(notes: list[Any], note: Any, limit: int = 10) -> None:
    """Keep the first few of a kind of problem for the log; the count says how many."""
    if len(notes) < limit:
        notes.append(note)


@dataclass
class LineReader:
    """Reads lines into ``Doc``s and ``BadLine``s, and keeps count of what it saw.

    ``now``: the time taken for an item whose ``published_at`` is null or more than
    ``FUTURE_SLACK`` after ``now`` (analyze: it is being analysed now; a callable is read
    at each line); None makes a null time an error and leaves every time as it is
    (replay: time drives the clock).
    """

    now: datetime | Callable[[], datetime] | None
    undated: int = 0
    undated_lines: list[int] = field(default_factory=list)  # the first few, for the log
    future: int = 0
    future_lines: list[int] = field(default_factory=list)
    bad_metrics: int = 0  # lines analysed without their unusable metrics
    bad_metric_notes: list[str] = field(default_factory=list)  # the first few, for the log
    not_utf8: int = 0
    first_not_utf8: tuple[int, int] | None = None  # (line, byte offset in the input)

    def bad_metrics_summary(self, command: str) -> str | None:
        """One stderr line on unusable metrics, or None when there were none."""
        if not self.bad_metrics:
            return None
        more = "; ..." if self.bad_metrics > len(self.bad_metric_notes) else ""
        return (f"{command}: warning: {self.bad_metrics} line(s) with unusable metrics, "
                f"analysed without them ({'; '.join(self.bad_metric_notes)}{more})")

    def not_utf8_summary(self, command: str) -> str | None:
        """One stderr line on the input's non-UTF-8 lines, or None when there were none."""
        if self.first_not_utf8 is None:
            return None
        line, offset = self.first_not_utf8
        return (f"{command}: {self.not_utf8} line(s) not UTF-8, the first at line {line} "
                f"(byte offset {offset}); convert the input (e.g. iconv -f GBK -t UTF-8)")

    def read(self, lines: Iterable[str | bytes]) -> Iterator[Doc | BadLine]:
        """One ``Doc`` or ``BadLine`` per non-blank line, in order."""
        for n, text, decoded in self._decode(lines):
            if isinstance(text, BadLine):
                yield text
                continue
            try:
                doc = self.doc(n, text, decoded=decoded)
            except _Wrong as exc:
                yield BadLine(n, f"line {n}: {exc}")
                continue
            yield doc

    def texts(self, lines: Iterable[str | bytes]) -> Iterator[tuple[str, str] | BadLine]:
        """(title, text) or a ``BadLine`` per non-blank line, in order: a line needs a
        title or a text (a string or null; absent is null), nothing else."""
        for n, text, decoded in self._decode(lines):
            if isinstance(text, BadLine):
                yield text
                continue
            try:
                yield self.title_text(text, decoded=decoded)
            except _Wrong as exc:
                yield BadLine(n, f"line {n}: {exc}")

    def _decode(self, lines: Iterable[str | bytes],
                ) -> Iterator[tuple[int, str | BadLine, bool]]:
        """(line number, its text or why it has none, whether it was decoded here) for
        each non-blank line."""
        offset = 0
        for n, line in enumerate(lines, 1):
            start, text = offset, line
            if isinstance(line, bytes):
                offset += len(line)
                try:
                    text = line.decode("utf-8-sig" if n == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    if line.strip():
                        yield n, self._not_utf8(n, start, exc), True
                    continue
            assert isinstance(text, str)
            if text.strip():
                yield n, text.lstrip("\ufeff") if n == 1 else text, isinstance(line, bytes)

    def _not_utf8(self, n: int, start: int, exc: UnicodeDecodeError) -> BadLine:
        self.not_utf8 += 1
        at = start + exc.start
        if self.first_not_utf8 is None:
            self.first_not_utf8 = (n, at)
        return BadLine(n, f"line {n}: not UTF-8: byte 0x{exc.object[exc.start]:02x} at byte "
                          f"offset {at} of the input cannot be decoded", not_utf8=True)

    def doc(self, n: int, line: str, *, decoded: bool = False) -> Doc:
        """``decoded``: the line was decoded here from bytes, strictly, so only a JSON
        escape can put a lone surrogate into it."""
        raw = _object(line)
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            raise _Wrong(f"missing key(s) {', '.join(missing)}")
        _no_lone_surrogate(line, raw, decoded)
        errors: list[str] = []  # every wrong field, so one round of fixing is enough

        def check(fn: Callable[..., Any], *args: Any) -> Any:
            try:
                return fn(*args)
            except _Wrong as exc:
                errors.append(str(exc))
                return None

        item_id = check(_string, raw, "id")
        if item_id == "":
            errors.append("id: empty string")
        # null is an empty title or text: a post exported without one (Weibo has no
        # titles) is still a post, not a bad line.
        title = check(_string, raw, "title", True) or ""
        text = check(_string, raw, "text", True) or ""
        # A clock, for a live feed that runs for days: "now" is when the line arrives.
        now = self.now() if callable(self.now) else self.now
        when = check(parse_time, raw["published_at"], now)
        region = check(_string, raw, "region", True)
        check(_string, raw, "source", True)
        check(_string, raw, "url", True)
        # Engagement only weighs an event's heat: a bad count is dropped with a warning,
        # never the post with it.
        unusable: list[str] = []
        metrics = raw.get("metrics")
        if metrics is None:
            metrics = {}
        elif not isinstance(metrics, dict):
            unusable.append(f"metrics: expected an object or null, got {json_type(metrics)}")
            metrics = {}

        def metric(name: str) -> float | None:
            try:
                return count(metrics.get(name), f"metrics.{name}")
            except _Wrong as exc:
                unusable.append(str(exc))
                return None

        replies, views, likes = (metric(m) for m in METRICS)
        if errors:
            raise _Wrong("; ".join(errors + unusable))
        if unusable:
            self.bad_metrics += 1
            _keep_few(self.bad_metric_notes, f"line {n}: {'; '.join(unusable)}")
        dated = True
        if raw["published_at"] is None:
            self.undated += 1
            _keep_few(self.undated_lines, n)
            dated = False
        elif now is not None and when > now + FUTURE_SLACK:
            # A wrong date, taken as unknown (now) as the crawl does: left as it is, it
            # would be the event clusterer's clock, and everything older than it is
            # forgotten (reposts after it would start new events).
            when = now
            self.future += 1
            _keep_few(self.future_lines, n)
            dated = False
        return Doc(id=item_id, title=title, text=text, when=when, region=region,
                   replies=replies, views=views, likes=likes, payload=raw, line=n,
                   dated=dated)


    def title_text(self, line: str, *, decoded: bool = False) -> tuple[str, str]:
        raw = _object(line)
        if "title" not in raw and "text" not in raw:
            raise _Wrong("missing key(s) title, text (one of them is enough here)")
        title = raw.get("title")
        text = raw.get("text")
        errors = [f"{k}: expected a string or null, got {json_type(v)}"
                  for k, v in (("title", title), ("text", text))
                  if v is not None and not isinstance(v, str)]
        if errors:
            raise _Wrong("; ".join(errors))
        _no_lone_surrogate(line, {"title": title, "text": text}, decoded)
        return title or "", text or ""


def _object(line: str) -> dict[str, Any]:
    try:
        raw = json.loads(line)
    except ValueError as exc:
        raise _Wrong(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise _Wrong(f"expected a JSON object, got {json_type(raw)}")
    return raw


def _no_lone_surrogate(line: str, value: Any, decoded: bool) -> None:
    """``decoded``: the line was decoded here from bytes, strictly, so only a JSON escape
    can put a lone surrogate into it."""
    # Strings with lone surrogates come from \ud8xx escapes in the JSON or, when the
    # caller decoded with surrogateescape, from bytes that are not UTF-8; either way
    # the line could not be written out again.
    escaped = "\\u" in line and _SURROGATE_ESCAPE.search(line) is not None
    if (escaped or not (decoded or _encodes(line))) and (where := _lone_surrogate(value, "")):
        raise _Wrong(f"{where}: contains a lone UTF-16 surrogate (not a character; "
                     "invalid UTF-8 or a broken \\u escape)")


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
