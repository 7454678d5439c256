"""`yuqing.jsonl_input`: every wrong field named, per line; odd bytes spoil only their line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from analysis.batch import Doc
from yuqing.jsonl_input import BadLine, LineReader
from yuqing.records import SHANGHAI

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
GOOD = {"id": "a1", "title": "河口镇停水", "text": "河口镇停水三天了",
        "published_at": "2026-11-20T08:00:00+08:00"}


def read(*records: object, now: datetime | None = NOW) -> tuple[list, LineReader]:
    reader = LineReader(now=now)
    lines = [r if isinstance(r, bytes) else
             (json.dumps(r, ensure_ascii=False) + "\n").encode() for r in records]
    return list(reader.read(lines)), reader


def error(record: object, now: datetime | None = NOW) -> str:
    (out,), _ = read(record, now=now)
    assert isinstance(out, BadLine), out
    return out.error


def test_numeric_strings_in_metrics_are_numbers_and_the_payload_is_untouched():
    record = {**GOOD, "metrics": {"views": " 12 ", "replies": 3, "likes": "2.5"}}
    (doc,), _ = read(record)
    assert isinstance(doc, Doc)
    assert (doc.views, doc.replies, doc.likes) == (12, 3, 2.5)
    assert doc.payload == record and doc.line == 1


def test_a_bad_metric_is_named_and_dropped_never_the_post():
    records = [{**GOOD, "metrics": {"views": "many", "replies": 3}},
               {**GOOD, "metrics": {"likes": -1, "replies": True}},
               {**GOOD, "metrics": {"views": "nan"}}, {**GOOD, "metrics": [1]}]
    docs, reader = read(*records)
    assert all(isinstance(d, Doc) for d in docs)
    assert (docs[0].views, docs[0].replies) == (None, 3) and docs[0].payload == records[0]
    assert reader.bad_metrics == 4
    notes = reader.bad_metric_notes
    assert notes[0] == "line 1: metrics.views: expected a number, got 'many'"
    assert "metrics.replies: expected a number, got boolean" in notes[1]
    assert "metrics.likes: expected a count (0 or more), got -1" in notes[1]
    assert "metrics.views: expected a count" in notes[2]
    assert notes[3] == "line 4: metrics: expected an object or null, got array"
    summary = reader.bad_metrics_summary("analyze")
    assert summary and summary.startswith("analyze: warning: 4 line(s) with unusable metrics")
    # With a real error on the line, the metric problem is named with it.
    msg = error({**GOOD, "id": None, "metrics": {"views": "many"}})
    assert msg == ("line 1: id: expected a string, got null; "
                   "metrics.views: expected a number, got 'many'")


def test_wrong_types_are_named_with_the_type_expected_all_at_once():
    msg = error({**GOOD, "id": None, "published_at": True, "title": 5})
    assert msg == ("line 1: id: expected a string, got null; title: expected a string or null, "
                   "got number; published_at: expected an ISO 8601 string or epoch seconds, "
                   "got boolean")
    assert "text: expected a string or null, got object" in error({**GOOD, "text": {}})
    assert "url: expected a string or null, got number" in error({**GOOD, "url": 1})
    assert "id: empty string" in error({**GOOD, "id": ""})
    (doc,), _ = read({**GOOD, "id": 42})  # message numbers: unambiguous as ids
    assert doc.id == "42"


def test_a_null_title_or_text_is_empty_not_an_error():
    record = {**GOOD, "title": None}  # a Weibo post: no title
    (doc, both), _ = read(record, {**GOOD, "title": None, "text": None})
    assert (doc.title, doc.text) == ("", GOOD["text"]) and doc.payload == record
    assert (both.title, both.text) == ("", "")
    missing = dict(GOOD)
    del missing["title"]
    assert error(missing) == "line 1: missing key(s) title"  # the key is still required


def test_published_at_is_required_and_checked():
    record = dict(GOOD)
    del record["published_at"]
    assert error(record) == "line 1: missing key(s) published_at"
    for relative in ("昨天", "3小时前", "11-20 08:00"):  # relative to what?
        assert (f"published_at: not a time: {relative!r} (expected ISO 8601, or a date with "
                "its year") in error({**GOOD, "published_at": relative})
    assert "published_at: empty string" in error({**GOOD, "published_at": " "})
    assert "published_at: 1e+300 is not a usable time" in error({**GOOD, "published_at": 1e300})
    (doc, _), reader = read({**GOOD, "published_at": None}, GOOD)
    assert doc.when == NOW and reader.undated == 1 and reader.undated_lines == [1]
    # Without a `now` (replay: the time drives the clock) null is an error.
    assert "published_at: expected an ISO 8601 string or epoch seconds, got null" in error(
        {**GOOD, "published_at": None}, now=None)
    (doc,), _ = read({**GOOD, "published_at": "2026-11-20 08:00"})  # naive: Shanghai
    assert doc.when == datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI)
    assert "'9999-12-31T23:59:59-12:00' is out of range" in error(
        {**GOOD, "published_at": "9999-12-31T23:59:59-12:00"})


def test_times_printed_the_chinese_way_are_read_as_the_crawl_reads_them():
    forms = ["2026/11/20 8:00:00", "2026年11月20日 08:00", "２０２６－１１－２０　０８：００"]
    docs, _ = read(*({**GOOD, "published_at": f} for f in forms))
    assert [d.when for d in docs] == [datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI)] * 3
    assert docs[0].payload["published_at"] == forms[0]  # the output keeps what was given
    (doc,), _ = read({**GOOD, "published_at": "2019/4/25 9:32:09"}, now=None)  # replay
    assert doc.when == datetime(2019, 4, 25, 9, 32, 9, tzinfo=SHANGHAI)
    (late,), reader = read({**GOOD, "published_at": "2062年11月20日"})
    assert late.when == NOW and reader.future == 1  # a wrong date, as in ISO form
    assert "not a time: '2026/13/20'" in error({**GOOD, "published_at": "2026/13/20"})
    assert "not a time: '见 2026/11/20'" in error({**GOOD, "published_at": "见 2026/11/20"})


def test_a_time_well_after_now_is_a_wrong_date_taken_as_now_and_counted():
    soon = {**GOOD, "published_at": "2026-11-20T23:00:00+08:00"}  # a fast clock: kept
    late = {**GOOD, "published_at": "2206-11-20T08:00:00+08:00"}  # a year misread
    epoch = {**GOOD, "published_at": 1e11}
    (a, b, c), reader = read(soon, late, epoch)
    assert a.when == datetime(2026, 11, 20, 23, 0, tzinfo=SHANGHAI)
    assert b.when == c.when == NOW and b.payload == late  # the output keeps what was given
    assert reader.future == 2 and reader.future_lines == [2, 3] and reader.undated == 0
    (d,), reader = read(late, now=None)  # replay: the time is the clock, left alone
    assert d.when.year == 2206 and reader.future == 0


def test_a_live_feed_reads_the_clock_at_each_line():
    # `analyze` on a feed that runs for days: "now" is when a line arrives, not the start.
    ticks = iter([NOW, NOW + timedelta(days=2), NOW + timedelta(days=2)])
    reader = LineReader(now=lambda: next(ticks))
    later = (NOW + timedelta(days=2, hours=-1)).isoformat()
    lines = [(json.dumps(r, ensure_ascii=False) + "\n").encode() for r in (
        GOOD, {**GOOD, "published_at": later}, {**GOOD, "published_at": None})]
    a, b, c = reader.read(lines)
    assert b.when == NOW + timedelta(days=2, hours=-1) and reader.future == 0
    assert c.when == NOW + timedelta(days=2)  # null: the time it arrived


def test_bytes_that_are_not_utf8_spoil_only_their_line():
    gbk = (json.dumps(GOOD, ensure_ascii=False) + "\n").encode("gbk")
    first = (json.dumps(GOOD, ensure_ascii=False) + "\n").encode()
    out, reader = read(b"\xef\xbb\xbf" + first, gbk, {**GOOD, "id": "a3"})
    assert isinstance(out[0], Doc)  # a UTF-8 byte-order mark is not an error
    bad = out[1]
    assert isinstance(bad, BadLine) and bad.not_utf8 and bad.line == 2
    offset = len(first) + 3 + gbk.index(b"\xba")  # the first byte of 河 in GBK
    assert bad.error == (f"line 2: not UTF-8: byte 0xba at byte offset {offset} of the "
                         "input cannot be decoded")
    assert isinstance(out[2], Doc) and out[2].id == "a3"
    assert reader.not_utf8 == 1 and reader.first_not_utf8 == (2, offset)


def test_lone_surrogates_are_named_wherever_they_are():
    line = json.dumps({**GOOD, "text": "坏\udcff"}).encode()  # a \udcff escape
    assert error(line) == ("line 1: text: contains a lone UTF-16 surrogate (not a character; "
                           "invalid UTF-8 or a broken \\u escape)")
    nested = json.dumps({**GOOD, "extra": {"tags": ["ok", "\ud800"]}}).encode()
    assert error(nested).startswith("line 1: extra.tags[1]: contains a lone")
    # Text read with surrogateescape (undecodable bytes as surrogates) is caught too.
    text = (json.dumps(GOOD, ensure_ascii=False)[:-1] + ', "source": "x\udcb9"}')
    out = list(LineReader(now=NOW).read([text]))
    assert isinstance(out[0], BadLine) and out[0].error.startswith("line 1: source: ")
    (doc,), _ = read(json.dumps({**GOOD, "title": "😀"}).encode())  # a pair is fine
    assert doc.title == "😀"


def test_lines_that_are_not_objects():
    assert error(b"{not json\n").startswith("line 1: not JSON: ")
    assert error(b"[1, 2]\n") == "line 1: expected a JSON object, got array"
    out, _ = read(b"\n", b"  \r\n", GOOD)
    assert len(out) == 1 and out[0].line == 3  # blank lines are skipped, still counted
