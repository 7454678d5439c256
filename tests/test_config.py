"""Configuration errors: YAML snippet → the exact message naming file, key path and problem."""

from __future__ import annotations

import textwrap

import pytest

from yuqing.config import ConfigError, load_config

GAZ = "gazetteer:\n  county: 青禾县\n"
SRC = ("sources:\n  - id: news\n    name: 新闻\n    template: feed\n    kind: news\n"
       "    start_urls: [http://127.0.0.1/rss.xml]\n")

CASES = [
    ("unknown top-level key", GAZ + "elasticserch: {}\n",
     ["elasticserch: unknown key"]),
    ("missing gazetteer", "sources: []\n", ["gazetteer: required key is missing"]),
    ("bad template", GAZ + SRC.replace("template: feed", "template: fed"),
     ["sources[0].template: got 'fed', expected one of 'feed', 'news', 'sitemap', "
      "'discuz' or 'board'"]),
    ("bad kind", GAZ + SRC.replace("kind: news", "kind: blog"),
     ["sources[0].kind: Input should be 'news', 'forum' or 'board'"]),
    ("typo in selector", GAZ + SRC + "    selectors: {titel: h1}\n",
     ["sources[0].selectors.titel: unknown key"]),
    ("not a url", GAZ + SRC.replace("http://127.0.0.1/rss.xml", "ftp://x/rss"),
     ["sources[0].start_urls: 'ftp://x/rss' is not an http(s) URL"]),
    ("bad id", GAZ + SRC.replace("id: news", "id: News Site"),
     ["sources[0].id: must be lower-case letters, digits, '-' or '_'"]),
    ("duplicate ids", GAZ + SRC + SRC.replace("sources:\n", ""),
     ["(top level): duplicate source id 'news'"]),
    ("zero interval", GAZ + SRC + "    interval_minutes: 0\n",
     ["sources[0].interval_minutes: Input should be greater than or equal to 1"]),
    ("port out of range", GAZ + "elasticsearch:\n  local:\n    port: 70000\n",
     ["elasticsearch.local.port: Input should be less than or equal to 65535"]),
    ("two problems at once", GAZ + "crawl:\n  retries: -1\n  obey_robot: true\n",
     ["crawl.retries: Input should be greater than or equal to 0",
      "crawl.obey_robot: unknown key"]),
    ("analysis cap too small", GAZ + "analysis:\n  max_chars: 50\n",
     ["analysis.max_chars: Input should be greater than or equal to 1000"]),
    ("township without name", GAZ + "  townships:\n    - leader: 王\n",
     ["gazetteer.townships[0].name: required key is missing"]),
    ("other place naming none of ours", GAZ + "  townships: [{name: 河口镇}]\n"
     "  other_places: [黄河口镇, 黄河]\n",
     ["gazetteer.other_places[1]: '黄河' contains none of the county's place names, so it "
      "cannot be mistaken for one (a typo?)"]),
    ("other place that is ours", GAZ + "  townships: [{name: 河口镇, aliases: [河口]}]\n"
     "  other_places: [河口]\n",
     ["gazetteer.other_places[0]: '河口' is one of the county's own place names"]),
    ("night before day", GAZ + "duty:\n  roster: {day_start: '20:00', night_start: '08:00'}\n",
     ["duty.roster: night_start 08:00 must be later in the day than day_start 20:00"]),
    ("not a mapping", "- a\n- b\n", ["(top level): expected a mapping of keys"]),
    ("broken yaml", GAZ + "sources: [\n",
     ["line 4, column 1: invalid YAML: expected the node content, but found '<stream end>'"]),
    # A person:NAME nobody has: the route delivered to no one, and check-config said ok.
    ("route to a person not in duty.people", GAZ + "alerting:\n  route:\n"
     "    receiver: duty-office\n    routes:\n"
     "      - {matchers: ['severity=\"critical\"'], receiver: 'person:张三'}\n",
     ["alerting.route.routes[0].receiver: 'person:张三': '张三' is not in duty.people"]),
    # Sent to directly at 08:00: an unknown receiver failed there, every day, only logged.
    ("report sent to an unknown receiver", GAZ + "scheduler:\n  report_send: duty-ofice\n",
     ["scheduler.report_send: undefined receiver 'duty-ofice'; defined: duty-office"]),
    # Taken as a township label that no leader answers for.
    ("region that is no township", GAZ + "  townships: [{name: 城关镇, aliases: [城关]}]\n"
     + SRC + "    region: 城关\n",
     ["sources[0].region: '城关' is not a township of gazetteer.townships; write the "
      "township's name '城关镇'"]),
    # APScheduler took 0 for one second; a zero lease let every host's scheduler lead.
    ("zero detection interval", GAZ + "scheduler:\n  detect_every: 0s\n  lease_ttl: 0s\n",
     ["scheduler.detect_every: must be a positive duration",
      "scheduler.lease_ttl: must be a positive duration"]),
    # Beside crawl intervals counted in minutes, a bare 30 read as seconds escalated an
    # alert to the office head half a minute after it fired.
    ("dead-man's switch URL in the file", GAZ + "duty:\n  heartbeat:\n"
     "    ping_url: https://hc-ping.com/0f3c2a7e-secret\n",
     ["duty.heartbeat.ping_url: 'hc-ping.com' is not a loopback address: a dead-man's "
      "switch URL holds its secret, so put it in an environment variable and name that "
      "in ping_url_env"]),
    ("duration without a unit", GAZ + "duty:\n  escalation:\n    after:\n      normal: 30\n"
     "scheduler:\n  lease_ttl: 90\n",
     ["duty.escalation.after.normal: 30 has no unit: write 30s, 30m or 30h",
      "scheduler.lease_ttl: 90 has no unit: write 90s, 90m or 90h"]),
    ("report time without its zero", GAZ + "scheduler:\n  daily_report: '8:00'\n",
     ["scheduler.daily_report: '8:00' is not a time of day like 08:00"]),
    ("heap in other units", GAZ + "elasticsearch:\n  local: {heap: 512MB}\n",
     ["elasticsearch.local.heap: '512MB' is not a heap size like 512m or 2g"]),
    ("a word for a number", GAZ + "alerting:\n  delivery: {max_attempts: five}\n",
     ["alerting.delivery.max_attempts: Input should be a valid integer, unable to parse "
      "string as an integer, got 'five'"]),
    # PyYAML raised a bare ValueError here: a traceback instead of a key.
    ("impossible date", GAZ + "duty:\n  roster: {start: 2026-13-01}\n",
     ["duty.roster.start: Input should be a valid date or datetime, month value is outside "
      "expected range of 1-12, got '2026-13-01'"]),
    # PyYAML keeps the last value: the first was silently ignored.
    ("key given twice", GAZ + "crawl:\n  retries: 3\n  retries: 4\n",
     ["line 5, column 3: invalid YAML: duplicate key 'retries' (first given at line 4); the "
      "second would silently replace the first"]),
]


@pytest.mark.parametrize(("yaml_text", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_config_errors_name_file_key_and_problem(tmp_path, yaml_text, expected):
    path = tmp_path / "county.yaml"
    path.write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.problems == expected
    assert str(err.value).splitlines()[0].startswith(f"{path}: ")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: cannot read file: No such file"):
        load_config(tmp_path / "nowhere.yaml")


def test_shipped_configurations_are_valid():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert load_config(None).gazetteer.county == "青禾县"
    for example in sorted((root / "config").glob("*.yaml")):
        load_config(example)


def test_cli_check_config_reports_errors(tmp_path, capsys):
    from yuqing.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(GAZ + "sources: 3\n", encoding="utf-8")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: sources: Input should be a valid list" in err
    good = tmp_path / "good.yaml"
    good.write_text(GAZ + SRC, encoding="utf-8")
    assert main(["check-config", str(good)]) == 0
    assert "ok: 1 sources" in capsys.readouterr().out


def test_external_cluster_from_environment(monkeypatch):
    from yuqing.config import ElasticsearchConfig

    monkeypatch.setenv("YUQING_ES_URL", "http://10.0.0.5:9200, http://10.0.0.6:9200")
    cfg = ElasticsearchConfig()
    assert cfg.external and cfg.resolved_hosts() == ["http://10.0.0.5:9200",
                                                     "http://10.0.0.6:9200"]
    monkeypatch.delenv("YUQING_ES_URL")
    assert not ElasticsearchConfig().external


def test_a_partial_per_level_setting_keeps_the_other_levels(tmp_path):
    # {normal: 20m} once left escalation without a holiday wait: KeyError every holiday.
    path = tmp_path / "county.yaml"
    path.write_text(GAZ + "duty:\n  escalation:\n    after: {normal: 20m}\n"
                    "watch:\n  crawl_factor: {holiday: 0.3}\n", encoding="utf-8")
    cfg = load_config(path)
    assert {k: v.total_seconds() / 60 for k, v in cfg.duty.escalation.after.items()} == {
        "normal": 20, "holiday": 15, "sensitive": 10}
    assert cfg.watch.crawl_factor == {"normal": 1.0, "holiday": 0.3, "sensitive": 0.5}


def test_a_person_can_receive_the_heartbeat(tmp_path):
    # README: "a person is the receiver person:NAME"; the heartbeat refused one.
    path = tmp_path / "county.yaml"
    path.write_text(GAZ + "duty:\n  people: [{name: 赵敏}]\n"
                    "  heartbeat: {receiver: 'person:赵敏'}\n", encoding="utf-8")
    assert load_config(path).duty.heartbeat.receiver == "person:赵敏"
    path.write_text(GAZ + "duty:\n  people: [{name: 赵敏}]\n"
                    "  heartbeat: {receiver: 'person:钱程'}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.problems == ["duty.heartbeat.receiver: unknown receiver 'person:钱程'"]


def test_python_dash_m_yuqing_checks_a_config(tmp_path):
    # `python -m yuqing` failed ("'yuqing' is a package and cannot be directly executed").
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    bad = tmp_path / "bad.yaml"
    bad.write_text(GAZ + "crawl: {retries: many}\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "yuqing", "check-config", str(bad)], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert f"{bad}: crawl.retries: Input should be a valid integer" in run.stderr


def test_the_example_configuration_validates_and_shows_every_section():
    # README: "config/example.yaml is a commented starting point. Its parts: ..." — it
    # had no `schemes:` at all, so a newcomer copying it never saw how a scheme is written.
    import re
    from pathlib import Path

    from yuqing.config import Config

    example = Path(__file__).resolve().parents[1] / "config" / "example.yaml"
    cfg = load_config(example)
    assert cfg.sources and cfg.schemes
    text = example.read_text(encoding="utf-8")
    # A section may be shown commented out (`# web:`), as long as it is shown.
    shown = set(re.findall(r"^(?:# ?)?([a-z_]+):", text, flags=re.M))
    assert set(Config.model_fields) - shown == set()


def test_a_channel_secret_missing_at_start_up_is_named_by_key_and_variable(
        tmp_path, capsys, monkeypatch):
    # Read only at send time, a misspelt variable showed when the first alert failed
    # (and reached the fallback minutes later); check-config said ok.
    from yuqing.cli import main

    good = tmp_path / "ch.yaml"
    good.write_text(GAZ + SRC + """
alerting:
  route: {receiver: office}
  receivers:
    - name: office
      channels: [{type: dingtalk, token_env: T_OFFICE_TOKEN, secret_env: T_OFFICE_SECRET}]
duty:
  people: [{name: 甲, channels: [{type: webhook, url_env: T_JIA_URL}]}]
""", encoding="utf-8")
    monkeypatch.setenv("T_OFFICE_SECRET", "s")
    monkeypatch.delenv("T_OFFICE_TOKEN", raising=False)
    monkeypatch.delenv("T_JIA_URL", raising=False)
    assert main(["check-config", str(good)]) == 1
    err = capsys.readouterr().err
    assert (f"{good}: alerting.receivers[0].channels[0].token_env: environment variable "
            "T_OFFICE_TOKEN is not set") in err
    assert "duty.people[0].channels[0].url_env: environment variable T_JIA_URL" in err
    assert "T_OFFICE_SECRET" not in err
    assert main(["check-config", "--ignore-env", str(good)]) == 0
    monkeypatch.setenv("T_OFFICE_TOKEN", "t")
    monkeypatch.setenv("T_JIA_URL", "http://127.0.0.1:9/")
    assert main(["check-config", str(good)]) == 0


def test_the_example_routes_every_alert_to_the_duty_office_and_the_townships_leaders():
    # A warning about 河口镇 matched the township route first (no `continue`) and reached
    # only the township's leaders: the duty office was never told.
    from datetime import datetime
    from pathlib import Path

    from alerts.routing import dry_run
    from yuqing.records import SHANGHAI, Alert, Severity

    example = Path(__file__).resolve().parents[1] / "config" / "example.yaml"
    cfg = load_config(example)
    now = datetime(2026, 11, 20, 3, tzinfo=SHANGHAI)

    def receivers(severity: str, township: str) -> tuple[str, ...]:
        a = Alert(id=f"{severity}{township}", rule="growing_complaint",
                  severity=Severity(severity), title="t", summary="", fired_at=now,
                  labels={"township": township}, category="供水", count=6, baseline=1.0)
        [d] = dry_run(cfg.alerting, [a], now)
        return d.receivers

    for severity in ("warning", "critical"):
        assert receivers(severity, "河口镇") == ("duty-office", "township-leaders")
        assert receivers(severity, "青山乡") == ("duty-office",)
