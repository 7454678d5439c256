"""`yuqing analyze`: one output line per input line, in order, with the contract fields."""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import yuqing

FIELDS = ["keywords", "sentiment", "sentiment_label", "complaint", "complaint_score",
          "category", "places", "event_id"]

WATER = "河口镇河口村的自来水发黄有异味，好几天了没人管，希望尽快解决。"
LINES = [
    {"id": "1", "title": "河口镇自来水发黄", "text": WATER,
     "published_at": "2026-11-20T08:00:00+08:00", "url": "http://x.test/1",
     "metrics": {"replies": 3}},
    {"id": "2", "title": "转：河口镇自来水发黄", "text": "转发：" + WATER,
     "published_at": "2026-11-20T09:00:00"},
    {"id": "3", "title": "夜市开市", "text": "城关镇人民广场夜市正式开市，市民很高兴。",
     "published_at": None, "source": "news"},
]


def run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", "analyze", *args],
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_analyze_keeps_order_and_input_fields_and_reports_bad_lines():
    stdin = "\n".join([json.dumps(LINES[0], ensure_ascii=False), "{not json",
                       json.dumps(LINES[1], ensure_ascii=False), '{"id": "x"}',
                       json.dumps(LINES[2], ensure_ascii=False)]) + "\n"
    proc = run(stdin, "--workers", "1")
    assert proc.returncode == 1  # everything processed, then the bad lines make it fail
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o.get("id", o.get("line")) for o in out] == ["1", 2, "2", 4, "3"]
    assert "line 2:" in out[1]["error"] and "missing key(s) title, text" in out[3]["error"]
    first = out[0]
    assert {k: first[k] for k in LINES[0]} == LINES[0]  # input fields pass through
    assert all(f in first for f in FIELDS)
    assert first["complaint"] is True and first["sentiment_label"] == "negative"
    assert first["places"] == ["河口镇", "河口村"] and "自来水" in first["keywords"]
    assert out[2]["event_id"] == first["event_id"] != out[4]["event_id"]  # the repost joins
    assert "2 unreadable line(s)" in proc.stderr


def test_a_misdated_line_does_not_make_the_events_forget_the_past():
    # Events older than twice the window are forgotten by the item's clock: a line dated
    # 2206 taken at its word would cut the repost after it off from its original.
    misdated = {"id": "m", "title": "停水", "text": "城关镇停水",
                "published_at": "2206-11-20T08:00:00+08:00"}
    stdin = "".join(json.dumps(d, ensure_ascii=False) + "\n"
                    for d in (LINES[0], misdated, LINES[1]))
    proc = run(stdin, "--workers", "1")
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0 and out[1]["published_at"] == misdated["published_at"]
    assert out[2]["event_id"] == out[0]["event_id"] != out[1]["event_id"]
    assert "1 line(s) with published_at more than 12 h after now" in proc.stderr
    assert "(line 2)" in proc.stderr


def test_an_undated_line_in_an_old_export_does_not_cut_reposts_off():
    # Null is taken as now, years after the 2019 posts around it; as the events' clock it
    # would make the original too old to join by the time its repost comes.
    old = [{**d, "published_at": d["published_at"].replace("2026", "2019")}
           for d in LINES[:2]]
    undated = {**LINES[2], "id": "u", "published_at": None}
    stdin = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in (old[0], undated, old[1]))
    proc = run(stdin, "--workers", "1")
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0 and [o["id"] for o in out] == ["1", "u", "2"]
    assert out[2]["event_id"] == out[0]["event_id"] != out[1]["event_id"]


def test_analyze_is_the_same_on_one_or_two_workers():
    stdin = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in LINES * 3)
    one, two = run(stdin, "--workers", "1"), run(stdin, "--workers", "2")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == 9


def test_a_traditional_line_is_analysed_in_simplified_and_passed_through_as_written():
    # A Big5 page or a Hong Kong repost: the places and keywords are the gazetteer's and
    # the index's (simplified); the text stays what was published, character for character.
    trad = {"id": "t", "title": "轉：河口鎮自來水發黃",
            "text": "河口鎮河口村的自來水發黃有異味，好幾天了沒人管，希望儘快解決。",
            "published_at": "2026-11-20T10:00:00+08:00"}
    stdin = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in (LINES[0], trad))
    proc = run(stdin, "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    simp, out = (json.loads(line) for line in proc.stdout.splitlines())
    assert {k: out[k] for k in trad} == trad
    assert out["places"] == ["河口镇", "河口村"] and "自来水" in out["keywords"]
    assert (out["complaint"], out["sentiment_label"]) == (True, "negative")
    assert out["event_id"] == simp["event_id"]  # the repost joins the original


COUNTY = "gazetteer:\n  county: 测试县\n  townships:\n    - name: 桃源乡\n"
PEACH = {"id": "p1", "title": "桃源乡停水", "text": "桃源乡停水三天了",
         "published_at": "2026-11-20T08:00:00+08:00"}


def cli(stdin: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", *argv], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_analyze_takes_config_after_the_subcommand_and_it_wins(tmp_path):
    county = tmp_path / "county.yaml"
    county.write_text(COUNTY, encoding="utf-8")
    missing = str(tmp_path / "missing.yaml")
    line = json.dumps(PEACH, ensure_ascii=False) + "\n"
    for argv in (["analyze", "--config", str(county)],
                 ["--config", str(county), "analyze"],  # the global form still works
                 ["--config", missing, "analyze", "-c", str(county)]):
        proc = cli(line, *argv, "--workers", "1")
        assert proc.returncode == 0, (argv, proc.stderr)
        assert json.loads(proc.stdout)["places"] == ["桃源乡"], argv  # its gazetteer
    proc = cli(line, "--config", str(county), "analyze", "--config", missing)
    assert proc.returncode == 2 and "missing.yaml: cannot read file" in proc.stderr


def live_analyze(*args: str) -> subprocess.Popen[bytes]:
    """`yuqing analyze` on two workers with pipes, as a live feed drives it."""
    return subprocess.Popen([sys.executable, "-m", "yuqing.cli", "analyze", "--workers", "2",
                             *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def send(proc: subprocess.Popen[bytes], item: dict[str, object]) -> None:
    proc.stdin.write(json.dumps(item, ensure_ascii=False).encode() + b"\n")
    proc.stdin.flush()


def read_line(proc: subprocess.Popen[bytes], buf: bytearray, timeout: float) -> bytes:
    """The next output line, or fail after ``timeout`` seconds without one."""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        assert left > 0 and select.select([proc.stdout], [], [], left)[0], (
            f"no output line within {timeout} s; stdin still open")
        chunk = os.read(proc.stdout.fileno(), 65536)
        assert chunk, f"analyze ended early: {proc.stderr.read().decode()[-500:]}"
        buf += chunk
    line, _, rest = bytes(buf).partition(b"\n")
    buf[:] = rest
    return line


def test_analyze_streams_each_result_while_the_input_is_still_open():
    # A live feed: one line at a time, the next only once the last one's result is out.
    with live_analyze() as proc:
        buf = bytearray()
        for i, item in enumerate(LINES):
            send(proc, item)
            # The first wait includes loading the models (about 1 s; more on a busy machine).
            out = json.loads(read_line(proc, buf, 60 if i == 0 else 30))
            assert out["id"] == item["id"] and "event_id" in out
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
        assert proc.stdout.read() == b"" and not buf


def test_analyze_gives_a_per_line_error_for_each_bad_field_or_byte_and_goes_on():
    good = dict(LINES[0])
    no_time = {k: v for k, v in good.items() if k != "published_at"}
    lines = [
        {**good, "metrics": {"views": "12", "replies": 3}},  # a numeric string is a number
        {**good, "id": "v", "metrics": {"views": "many"}},  # analysed without the count
        {**good, "id": None, "published_at": True, "title": 5},
        {**no_time, "id": "t"},
        {**good, "id": "n", "published_at": None},  # null: now, with a counted warning
    ]
    stdin = b"".join(json.dumps(d, ensure_ascii=False).encode() + b"\n" for d in lines)
    stdin += json.dumps({**good, "id": "g"}, ensure_ascii=False).encode("gbk") + b"\n"
    stdin += json.dumps({**good, "id": "s", "text": "\udcff"}).encode() + b"\n"
    stdin += json.dumps({**good, "id": "last"}).encode() + b"\n"
    runs = [subprocess.run([sys.executable, "-m", "yuqing.cli", "analyze", "--workers", w],
                           input=stdin, capture_output=True, timeout=120) for w in "12"]
    assert runs[0].stdout == runs[1].stdout
    proc = runs[1]
    assert proc.returncode == 1
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [o.get("id", o.get("line")) for o in out] == ["1", "v", 3, 4, "n", 6, 7, "last"]
    assert out[0]["metrics"] == {"views": "12", "replies": 3}  # passed through as given
    assert out[1]["metrics"] == {"views": "many"} and out[1]["event_id"]
    assert out[2]["error"] == (
        "line 3: id: expected a string, got null; title: expected a string or null, got number; "
        "published_at: expected an ISO 8601 string or epoch seconds, got boolean")
    assert out[3]["error"] == "line 4: missing key(s) published_at"
    assert out[4]["published_at"] is None and out[4]["event_id"]
    assert out[5]["error"].startswith("line 6: not UTF-8: byte 0xba at byte offset ")
    assert out[6]["error"].startswith("line 7: text: contains a lone UTF-16 surrogate")
    assert all(f in out[-1] for f in FIELDS)
    stderr = proc.stderr.decode()
    assert "1 line(s) with published_at null, taken as published now (line 5)" in stderr
    assert "1 line(s) not UTF-8, the first at line 6" in stderr
    assert ("1 line(s) with unusable metrics, analysed without them (line 2: metrics.views: "
            "expected a number, got 'many')") in stderr
    assert "4 unreadable line(s)" in stderr


def _strict(line: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(line, parse_constant=refuse)


def test_numbers_json_cannot_hold_are_written_as_null_not_as_invalid_json():
    good = json.dumps(LINES[0], ensure_ascii=False)[:-1]
    stdin = (good + ', "metrics": {"replies": NaN, "views": 1e999}, "score": -Infinity, '
             '"tags": [1.5, NaN]}\n')
    proc = run(stdin, "--workers", "1")
    (line,) = proc.stdout.splitlines()
    out = _strict(line)  # what jq, JavaScript or Elasticsearch would do with it
    assert out["metrics"] == {"replies": None, "views": None} and out["score"] is None
    assert out["tags"] == [1.5, None] and out["event_id"] and out["id"] == "1"
    assert "unusable metrics" in proc.stderr


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (the analysis workers)."""
    kids: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return kids


def cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return -1
    return int(fields[11]) + int(fields[12])  # utime + stime


def busy_child(pid: int, timeout: float) -> int:
    """The child that has been using the CPU for a while: the one on the slow line (the
    other may be busy too, for a moment, with short lines)."""
    deadline = time.monotonic() + timeout
    streak: dict[int, int] = {}
    while time.monotonic() < deadline:
        before = {k: cpu_ticks(k) for k in children(pid)}
        time.sleep(0.2)
        for k, t in before.items():
            busy = t >= 0 and cpu_ticks(k) - t >= 5  # 50 ms of CPU in 200 ms
            streak[k] = streak.get(k, 0) + 1 if busy else 0
            if streak[k] >= 3:
                return k
    raise AssertionError(f"no busy worker within {timeout} s")


def test_analyze_reads_the_head_of_a_long_text_and_says_so(tmp_path):
    county = tmp_path / "county.yaml"
    county.write_text(COUNTY + "    - name: 杏花镇\nanalysis:\n  max_chars: 1000\n",
                      encoding="utf-8")
    long = {**PEACH, "id": "long", "text": PEACH["text"] + "，" + "天气晴朗" * 400 + "杏花镇也停水"}
    stdin = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in (PEACH, long))
    proc = cli(stdin, "analyze", "--config", str(county), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert out[0]["places"] == ["桃源乡"] and out[1]["places"] == ["桃源乡", "杏花镇"]
    assert ("analyze: note: 1 line(s) with a text longer than analysis.max_chars (1000): "
            "keywords, sentiment, complaint and events read its first 1000 characters, "
            "places all of it (line 2)") in proc.stderr


def uncapped_config(tmp_path: Path) -> str:
    """The embedded default configuration, but analysing the whole of any text: by
    default (analysis.max_chars) a slow line's head only is analysed, in well under 1 s."""
    default = Path(yuqing.__file__).parent / "data" / "default.yaml"
    path = tmp_path / "uncapped.yaml"
    path.write_text(default.read_text(encoding="utf-8")
                    + "analysis:\n  max_chars: 100000000\n", encoding="utf-8")
    return str(path)


def slow_line(n_chars: int = 2_000_000) -> dict[str, object]:
    # Random text, so nothing about it is cached: several seconds of analysis when read
    # whole (uncapped_config).
    rng = random.Random(5)
    chars = sorted(set(WATER + LINES[2]["text"]))
    text = "".join(rng.choices(chars, k=n_chars))
    return {"id": "slow", "title": "长文", "text": text,
            "published_at": "2026-11-20T10:00:00+08:00"}


def test_analyze_survives_a_worker_killed_mid_line(tmp_path):
    # The OOM killer or a crash in native code, as seen from outside: SIGKILL.
    with live_analyze("--config", uncapped_config(tmp_path)) as proc:
        buf = bytearray()
        send(proc, LINES[0])
        assert json.loads(read_line(proc, buf, 60))["id"] == "1"  # models loaded, forked
        send(proc, slow_line())
        os.kill(busy_child(proc.pid, 20), signal.SIGKILL)
        for item in (LINES[1], LINES[2]):
            send(proc, item)
        proc.stdin.close()
        rest = [json.loads(read_line(proc, buf, 30)) for _ in range(3)]
        assert proc.wait(timeout=30) == 1  # one line lost, reported, the rest done
        assert proc.stdout.read() == b"" and not buf  # exactly one line out per line in
        stderr = proc.stderr.read().decode()
    assert rest[0] == {"line": 2, "error": "line 2: worker process died (signal 9) while "
                                            "analysing this line"}
    assert [o["id"] for o in rest[1:]] == ["2", "3"] and all(f in rest[2] for f in FIELDS)
    assert "died (signal 9); started a new one" in stderr
    assert "1 unreadable line(s)" in stderr


def test_a_line_over_the_item_timeout_fails_alone_even_on_one_worker(tmp_path):
    # A real pathological input, not a patched analyzer: 2 million characters take
    # several seconds, over a 1 s limit; the lines around it are unaffected.
    stdin = "".join(json.dumps(item, ensure_ascii=False) + "\n"
                    for item in (LINES[0], slow_line(), LINES[1]))
    start = time.monotonic()
    proc = run(stdin, "--config", uncapped_config(tmp_path), "--workers", "1",
               "--item-timeout", "1")
    assert time.monotonic() - start < 60
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1, proc.stderr
    assert [o.get("id") for o in out] == ["1", None, "2"]
    assert out[1]["line"] == 2 and out[1]["error"].startswith(
        "line 2: analysis of this line did not finish: worker process killed after ")
    assert out[1]["error"].endswith("s on one line, over the 1 s limit")
    assert "over the 1 s limit); started a new one" in proc.stderr


def test_analyze_stops_with_one_message_when_workers_keep_dying():
    with live_analyze() as proc:
        send(proc, LINES[0])
        buf = bytearray()
        assert json.loads(read_line(proc, buf, 60))["id"] == "1"
        # Every worker, and every one started in its place, is killed; the input stays
        # open, so only giving up ends the run.
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            for kid in children(proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(kid, signal.SIGKILL)
            time.sleep(0.05)
        assert proc.wait(timeout=5) == 3
        stderr = proc.stderr.read().decode()
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("analyze: stopped: worker processes keep dying: 3 died in a row")
    assert "results written up to input line 1" in last


def test_analyze_interrupted_with_the_input_open_exits_130_not_aborts():
    with live_analyze() as proc:
        send(proc, LINES[0])
        assert json.loads(read_line(proc, bytearray(), 60))["id"] == "1"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130, proc.stderr.read().decode()[-500:]
