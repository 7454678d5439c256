"""`yuqing replay`: the JSON-lines contract, determinism, and the real message board."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime

import pytest
from conftest import require_corpus

from yuqing.demo.content import demo_posts
from yuqing.records import SHANGHAI

FIELDS = ["fired_at", "rule", "severity", "title", "summary", "keywords", "places",
          "category", "item_ids", "count", "baseline", "score", "receivers"]


@pytest.fixture(scope="module")
def demo_stream(tmp_path_factory) -> str:
    now = datetime(2026, 3, 18, 12, 0, tzinfo=SHANGHAI)
    path = tmp_path_factory.mktemp("replay") / "demo.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for p in demo_posts(now):
            fh.write(json.dumps({"id": f"{p.site}-{p.slug}", "title": p.title,
                                 "text": "\n".join(p.paragraphs),
                                 "published_at": p.published_at.isoformat(),
                                 "metrics": {"replies": p.replies, "views": p.views}},
                                ensure_ascii=False) + "\n")
        fh.write("{not json\n")
    return str(path)


def replay(path: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", "replay", path, *extra],
                          capture_output=True, text=True, timeout=300)


def test_replay_fires_on_the_growing_complaint_with_the_contract_fields(demo_stream):
    proc = replay(demo_stream, "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    alerts = [json.loads(line) for line in proc.stdout.splitlines()]
    assert alerts, proc.stderr
    first = alerts[0]
    assert list(first) == FIELDS
    assert first["rule"] in ("growing_event", "growing_scheme") and "河口镇" in first["places"]
    # The water posts (forum 1xx and the board message about them).
    assert all(i.startswith("forum-1") or i == "board-204" for i in first["item_ids"])
    assert first["count"] == len(first["item_ids"]) >= 3
    assert datetime.fromisoformat(first["fired_at"]).utcoffset().total_seconds() == 8 * 3600
    n_posts = len(demo_posts(datetime(2026, 3, 18, 12, 0, tzinfo=SHANGHAI)))
    assert f"skipped line {n_posts + 1}" in proc.stderr  # reported, not fatal


def test_replay_is_deterministic_whatever_the_worker_count(demo_stream):
    one = replay(demo_stream, "--workers", "1")
    two = replay(demo_stream, "--workers", "2")
    assert one.stdout and one.stdout == two.stdout


def test_message_board_alerts_are_few(tmp_path):
    csv = require_corpus("complaints", "message_board_with_replies.csv")
    stream = tmp_path / "board.jsonl"
    tool = subprocess.run([sys.executable, "tools/board_to_jsonl.py", str(csv)],
                          capture_output=True, text=True, check=True)
    stream.write_text(tool.stdout, encoding="utf-8")
    proc = replay(str(stream))
    assert proc.returncode == 0, proc.stderr
    alerts = [json.loads(line) for line in proc.stdout.splitlines()]
    months = Counter(a["fired_at"][:7] for a in alerts)
    # About two a month or fewer on a quiet city board, and never a flood in one month.
    assert len(alerts) <= 2 * 100 and max(months.values(), default=0) <= 3


def test_replay_takes_config_after_the_subcommand_and_it_wins(demo_stream, tmp_path):
    missing = str(tmp_path / "missing.yaml")
    proc = replay(demo_stream, "--config", missing)
    assert proc.returncode == 2 and "missing.yaml: cannot read file" in proc.stderr
    sub = replay(demo_stream, "--workers", "1", "--config", "config/example.yaml")
    glob = subprocess.run([sys.executable, "-m", "yuqing.cli", "--config", missing,
                           "replay", demo_stream, "--workers", "1", "-c",
                           "config/example.yaml"], capture_output=True, text=True, timeout=300)
    assert sub.returncode == glob.returncode == 0, sub.stderr + glob.stderr
    assert sub.stdout and sub.stdout == glob.stdout


def test_replay_skips_bad_lines_by_name_and_replays_the_rest(demo_stream, tmp_path):
    extra = {"id": "x", "title": "河口镇自来水发黄", "text": "自来水发黄",
             "published_at": "2026-03-18T08:00:00+08:00"}
    lines = open(demo_stream, "rb").read().splitlines(keepends=True)
    bad = [json.dumps({**extra, "id": "gbk"}, ensure_ascii=False).encode("gbk") + b"\n",
           json.dumps({**extra, "id": "null", "published_at": None}).encode() + b"\n",
           json.dumps({**extra, "id": True}).encode() + b"\n"]
    # A bad count is dropped, not the post: a repeat of the first line (same id, so it
    # changes nothing) with an unusable metric is replayed, with a warning.
    again = {**json.loads(lines[0]), "metrics": {"views": "many"}}
    bad.append(json.dumps(again, ensure_ascii=False).encode() + b"\n")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(b"".join(lines[:2] + bad + lines[2:]))
    clean = replay(demo_stream, "--workers", "1")
    proc = replay(str(mixed), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == clean.stdout  # the bad lines cost nothing else
    assert "replay: skipped line 3: not UTF-8: byte 0xba at byte offset" in proc.stderr
    assert ("skipped line 4: published_at: expected an ISO 8601 string or epoch seconds, "
            "got null") in proc.stderr
    assert "skipped line 5: id: expected a string, got boolean" in proc.stderr
    assert ("replay: warning: 1 line(s) with unusable metrics, analysed without them (line 6: "
            "metrics.views: expected a number, got 'many')") in proc.stderr


def test_replay_of_a_file_that_is_not_utf8_says_so_once(tmp_path):
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes(b"".join(
        json.dumps({"id": str(i), "title": "河口镇停水", "text": "停水三天",
                    "published_at": f"2026-03-18T0{i}:00:00+08:00"},
                   ensure_ascii=False).encode("gbk") + b"\n" for i in range(3)))
    proc = replay(str(gbk), "--workers", "1")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and "skipped line" not in proc.stderr
    offset = gbk.read_bytes().index(b"\xba")
    assert (f"replay: {gbk} is not UTF-8 (byte offset {offset}, line 1, cannot be decoded; "
            "3 line(s) skipped, nothing replayed)") in proc.stderr


def test_replay_survives_a_worker_killed_mid_item(demo_stream, tmp_path):
    from test_analyze_cmd import busy_child, slow_line, uncapped_config

    # The slow item is the earliest, so it is analysed first, while we look for it.
    slow = {**slow_line(), "published_at": "2026-03-01T00:00:00+08:00"}
    mixed = tmp_path / "slow.jsonl"
    mixed.write_bytes(json.dumps(slow, ensure_ascii=False).encode() + b"\n"
                      + open(demo_stream, "rb").read())
    config = uncapped_config(tmp_path)
    clean = replay(demo_stream, "--workers", "1", "--config", config)
    with subprocess.Popen([sys.executable, "-m", "yuqing.cli", "replay", str(mixed),
                           "--workers", "2", "--config", config], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        os.kill(busy_child(proc.pid, 60), signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
    stderr = err.decode()
    assert proc.returncode == 0, stderr
    assert out.decode() == clean.stdout  # only the killed item is missing
    assert ("replay: skipped line 1: worker process died (signal 9) while analysing this "
            "line") in stderr
    assert "died (signal 9); started a new one" in stderr


def test_replay_follows_the_configured_calendar(tmp_path):
    # Live detection lowers its thresholds in a configured sensitive period; a backtest
    # of that period must too, or it answers "would we have been told?" wrongly.
    import yaml

    stream = tmp_path / "water.jsonl"
    with stream.open("w", encoding="utf-8") as fh:
        for i in range(8):  # critical by 10:06 only at a sensitive period's thresholds
            fh.write(json.dumps({"id": f"w{i}", "title": "河口镇自来水发黄没人管",
                                 "text": "河口镇自来水又发黄了，投诉多次没人管，请尽快解决",
                                 "published_at": f"2026-11-20T10:0{i}:00"},
                                ensure_ascii=False) + "\n")
    raw = yaml.safe_load(open("config/example.yaml", encoding="utf-8"))
    raw["data_dir"] = str(tmp_path / "data")
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    raw["calendar"] = {"sensitive_periods": [
        {"name": "重要会议", "start": "2026-11-19", "end": "2026-11-21"}]}
    sensitive = tmp_path / "sensitive.yaml"
    sensitive.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    normal = replay(str(stream), "--workers", "1", "--config", str(plain))
    watched = replay(str(stream), "--workers", "1", "--config", str(sensitive))
    assert normal.returncode == watched.returncode == 0, normal.stderr + watched.stderr
    severities = [[json.loads(line)["severity"] for line in p.stdout.splitlines()]
                  for p in (normal, watched)]
    assert severities == [["warning"], ["warning", "critical"]], severities


def test_the_night_before_a_holiday_is_judged_at_normal_thresholds(tmp_path):
    # 00:00-00:27 on 2026-10-01: the Golden Week's first day on the clock, but the night
    # shift of 09-30 (a normal night with quiet hours) until 08:30. Ten posts are a warning
    # there; the holiday's lower critical count (9) made them critical, waking people.
    stream = tmp_path / "night.jsonl"
    with stream.open("w", encoding="utf-8") as fh:
        for i in range(10):
            fh.write(json.dumps({"id": f"n{i}", "title": "河口镇自来水发黄没人管",
                                 "text": "河口镇自来水又发黄了，投诉多次没人管，请尽快解决",
                                 "published_at": f"2026-10-01T00:{3 * i:02d}:00"},
                                ensure_ascii=False) + "\n")
    proc = replay(str(stream), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["severity"] for line in proc.stdout.splitlines()] == ["warning"]
