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


def _error_lines(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "validation error" not in err and "pydantic" not in err and "input_value" not in err
    return err.splitlines()


def test_scheme_test_names_the_option_that_is_wrong(capsys) -> None:
    assert _error_lines(["scheme", "test", "x", "--expression", "(("], capsys) == [
        "error: scheme 'x': expression '((' ends where a word or '(' was expected"]
    assert _error_lines(["scheme", "test", "", "--regions", "河口镇"], capsys) == [
        "error: scheme '': NAME: String should have at least 1 character"]


def test_alerts_silence_bad_input_is_one_line_per_problem(prefix, capsys) -> None:
    base = ["alerts", "silence", 'township="河口镇"', "--comment", "停水检修"]
    assert _error_lines([*base, "--by", " "], capsys) == ["error: silence: --by: must not be blank"]
    [line] = _error_lines([*base, "--duration", "0s"], capsys)
    assert line.startswith("error: the silence would end (") and "--duration" in line
    [line] = _error_lines([*base, "--until", "2020-01-01T08:00"], capsys)
    assert "would end (2020-01-01 08:00) no later than it starts" in line
    # matchers that an alert without the label also meets would mute nearly everything
    for broad in (['township!="河口镇"'], ['category=~".*"', 'scheme=""']):
        [line] = _error_lines(["alerts", "silence", *broad, "--comment", "夜里太吵"], capsys)
        assert line.startswith(f"error: silence {' '.join(broad)} would mute almost every")


def test_handover_shift_errors_name_the_shifts_of_that_day(capsys) -> None:
    assert _error_lines(["handover", "--shift", "2026-10-01/day"], capsys) == [
        "error: --shift: no shift '2026-10-01/day'; 2026-10-01 has 2026-10-01/full"]
    assert _error_lines(["handover", "--shift", "2026-11-20/full"], capsys) == [
        "error: --shift: no shift '2026-11-20/full'; 2026-11-20 has 2026-11-20/day, "
        "2026-11-20/night"]
    [line] = _error_lines(["handover", "--shift", "yesterday"], capsys)
    assert line.startswith("error: --shift: 'yesterday' is not a shift id: DATE/day")


def test_handover_refuses_to_send_to_an_unknown_receiver(prefix, tmp_path, monkeypatch,
                                                          capsys) -> None:
    # It queued the hand-over to 'nobody', where it waited forever, and exited 0.
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path))
    for wrong in ("duty-ofice", "person:无名氏"):
        assert _error_lines(["handover", "--send", wrong], capsys) == [
            f"error: --send: unknown receiver {wrong!r}; configured: duty-office, @on-duty, "
            "@shift-leader, @office-head, @grid, or person:NAME of duty.people"]
    assert not (tmp_path / "state" / "outbox.sqlite").exists()


@pytest.mark.parametrize("months", ["-5", "0", "two"])
def test_retention_refuses_a_period_that_would_drop_everything(months: str, capsys) -> None:
    err = _usage_error(["es", "retention", "--dry-run", f"--months={months}"], capsys)
    assert f"argument --months: '{months}' is not a whole number of at least 1" in err


@pytest.mark.parametrize("command", ["analyze", "replay"])
@pytest.mark.parametrize("seconds", ["0", "-3", "nan", "soon"])
def test_an_item_timeout_must_be_seconds_above_zero(command: str, seconds: str, capsys) -> None:
    args = [command, f"--item-timeout={seconds}"] + (["-"] if command == "replay" else [])
    err = _usage_error(args, capsys)
    assert f"argument --item-timeout: '{seconds}' is not a number of seconds above 0" in err


def test_es_status_masks_the_password_in_the_cluster_url(es_url, monkeypatch, capsys) -> None:
    # Credentials ride in $YUQING_ES_URL; the node here has security off and ignores them.
    scheme, _, rest = es_url.partition("://")
    monkeypatch.setenv("YUQING_ES_URL", f"{scheme}://elastic:pa55w0rd@{rest}")
    assert main(["es", "status"]) == 0
    out = capsys.readouterr()
    assert f"{scheme}://***@{rest}" in out.out
    assert "pa55w0rd" not in out.out + out.err
