"""Bad command-line input is a clear one-line error with exit status 2, never a traceback."""

from __future__ import annotations

from datetime import datetime

import pytest

from yuqing.cli import main
from yuqing.cliargs import iso_time
from yuqing.records import SHANGHAI


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_iso_time_reads_naive_times_in_shanghai_and_converts_offsets() -> None:
    assert iso_time("2026-11-20T08:30") == datetime(2026, 11, 20, 8, 30, tzinfo=SHANGHAI)
    utc = iso_time("2026-11-20T00:30:00+00:00")
    assert utc.tzinfo == SHANGHAI and utc.hour == 8


@pytest.mark.parametrize("argv", [
    ["duty", "now", "--at", "garbage"],
    ["duty", "week", "--at", "garbage"],
    ["handover", "--at", "garbage"],
    ["detect", "--at", "garbage"],
    ["scheme", "test", "x", "--at", "garbage"],
    ["alerts", "silence", "a=b", "--comment", "c", "--until", "garbage"],
    ["alerts", "silence", "a=b", "--comment", "c", "--start", "garbage"],
    ["report", "weekly", "--now", "garbage"],
])
def test_a_bad_time_names_the_option_and_value(argv: list[str], capsys) -> None:
    err = _usage_error(argv, capsys)
    option = argv[argv.index("garbage") - 1]
    assert f"argument {option}: 'garbage' is not an ISO-8601 time" in err
