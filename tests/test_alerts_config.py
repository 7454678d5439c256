"""The alerting section: YAML snippet → the exact message naming the key."""

from __future__ import annotations

import pytest

from yuqing.config import ConfigError, load_config

GAZ = "gazetteer:\n  county: 青禾县\n"
BASE = GAZ + """alerting:
  receivers:
    - name: duty
    - name: mail
  route:
    receiver: duty
"""

CASES = [
    ("undefined receiver", BASE + "    routes:\n      - receiver: leader\n",
     ["alerting.route.routes[0].receiver: undefined receiver 'leader'; defined: duty, mail"]),
    ("zero repeat_interval", BASE + "    repeat_interval: 0s\n",
     ["alerting.route.repeat_interval: must be a positive duration"]),
    ("negative group_wait", BASE + "    group_wait: -5\n",
     ["alerting.route.group_wait: must be a positive duration"]),
    ("bad duration", BASE + "    group_interval: 5 minutes\n",
     ["alerting.route.group_interval: '5 minutes' is not a duration like 30s, 5m, 4h or 1d"]),
    ("matchers on root", BASE + "    matchers: ['severity=\"critical\"']\n",
     ["alerting.route.matchers: the root route must not have matchers "
      "(it receives every alert)"]),
    ("unparsable matcher", BASE + "    routes:\n      - matchers: ['severity=\"critical']\n",
     ["alerting.route.routes[0].matchers: cannot parse matcher 'severity=\"critical': "
      "unterminated quote"]),
    ("matcher without operator", BASE + "    routes:\n      - matchers: ['severity']\n",
     ["alerting.route.routes[0].matchers: cannot parse matcher 'severity': expected "
      "label=\"value\", label!=\"value\", label=~\"regex\" or label!~\"regex\""]),
    ("bad regex", BASE + "    routes:\n      - matchers: ['township=~\"(河口\"']\n",
     ["alerting.route.routes[0].matchers: invalid regex '(河口': missing ), unterminated "
      "subpattern at position 0"]),
    ("unknown matcher label", BASE + "    routes:\n      - matchers: ['town=\"河口镇\"']\n",
     ["alerting.route.routes[0].matchers: unknown label 'town' in matcher 'town=\"河口镇\"'; "
      "known: rule, severity, category, township, scheme, source, recurrence_of"]),
    ("unknown group_by label", BASE + "    group_by: [twonship]\n",
     ["alerting.route.group_by: unknown label 'twonship'; known: rule, severity, category, "
      "township, scheme, source, recurrence_of or '...' (every label)"]),
    ("fallback cycle", GAZ + """alerting:
  receivers:
    - {name: duty, fallback: mail}
    - {name: mail, fallback: duty}
  route: {receiver: duty}
""", ["alerting.receivers[0].fallback: fallback cycle duty -> mail -> duty",
      "alerting.receivers[1].fallback: fallback cycle mail -> duty -> mail"]),
    ("self fallback", GAZ + "alerting:\n  receivers: [{name: duty, fallback: duty}]\n"
     "  route: {receiver: duty}\n",
     ["alerting.receivers[0].fallback: fallback cycle duty -> duty"]),
    ("undefined fallback", GAZ + "alerting:\n  receivers: [{name: duty, fallback: sms}]\n"
     "  route: {receiver: duty}\n",
     ["alerting.receivers[0].fallback: undefined receiver 'sms'; defined: duty"]),
    ("special fallback", GAZ + "alerting:\n  receivers: [{name: duty, fallback: '@on-duty'}]\n"
     "  route: {receiver: duty}\n",
     ["alerting.receivers[0].fallback: '@on-duty' cannot be a fallback (it means different "
      "people at different times); name a receiver or person:NAME"]),
    ("undefined time interval", BASE + "    mute_time_intervals: [春节]\n",
     ["alerting.route.mute_time_intervals[0]: undefined time interval '春节'"]),
    ("typo in route key", BASE + "    group_bye: [rule]\n",
     ["alerting.route.group_bye: unknown key"]),
    ("unknown channel type", GAZ + "alerting:\n  receivers:\n    - name: duty\n"
     "      channels: [{type: sms, number_env: X}]\n  route: {receiver: duty}\n",
     ["alerting.receivers[0].channels[0]: Input tag 'sms' found using 'type' does not match "
      "any of the expected tags: 'dingtalk', 'wecom', 'feishu', 'lark', 'email', 'webhook'"]),
    ("secret written inline", GAZ + "alerting:\n  receivers:\n    - name: duty\n"
     "      channels: [{type: dingtalk, token: abc123}]\n  route: {receiver: duty}\n",
     ["alerting.receivers[0].channels[0].dingtalk.token_env: required key is missing",
      "alerting.receivers[0].channels[0].dingtalk.token: unknown key"]),
    ("duplicate receiver", GAZ + "alerting:\n  receivers: [{name: duty}, {name: duty}]\n"
     "  route: {receiver: duty}\n",
     ["alerting.receivers[1].name: duplicate receiver 'duty'"]),
    ("empty time range", BASE + "  time_intervals:\n    - name: 夜间\n      time_intervals:\n"
     "        - times: [{start_time: '22:00', end_time: '22:00'}]\n",
     ["alerting.time_intervals[0].time_intervals[0].times[0]: start_time and end_time are "
      "both 22:00, so the range covers no time (the whole day is 00:00 to 24:00)"]),
    # A fallback without channels "delivered" a failed-over message by marking it sent.
    ("fallback without channels", GAZ + "alerting:\n  receivers:\n"
     "    - {name: duty, fallback: console, channels: [{type: webhook, url_env: H}]}\n"
     "    - {name: console}\n  route: {receiver: duty}\n",
     ["alerting.receivers[0].fallback: receiver 'console' has no channels, so a message "
      "failed over to it reaches nobody; give it channels or a fallback"]),
    ("fallback chain ending without channels", GAZ + "alerting:\n  receivers:\n"
     "    - {name: duty, fallback: relay, channels: [{type: webhook, url_env: H}]}\n"
     "    - {name: relay, fallback: console}\n    - {name: console}\n"
     "  route: {receiver: duty}\n",
     ["alerting.receivers[0].fallback: receiver 'relay' has no channels and hands it to "
      "'console', which has none either, so a message failed over to it reaches nobody; "
      "give it channels or a fallback",
      "alerting.receivers[1].fallback: receiver 'console' has no channels, so a message "
      "failed over to it reaches nobody; give it channels or a fallback"]),
    ("duty fallback without channels", GAZ + "alerting:\n  receivers:\n"
     "    - {name: duty, channels: [{type: webhook, url_env: H}]}\n    - {name: console}\n"
     "  route: {receiver: duty}\nduty:\n  fallback: console\n"
     "  people: [{name: 甲, channels: [{type: webhook, url_env: H}]}]\n",
     ["duty.fallback: receiver 'console' has no channels, so a message failed over to it "
      "reaches nobody; give it channels or a fallback"]),
    # Messages bounced between the two sections for ever, a new outbox row per hop.
    ("fallback loop through duty.fallback", GAZ + "alerting:\n  receivers:\n"
     "    - {name: duty, fallback: 'person:甲', channels: [{type: webhook, url_env: H}]}\n"
     "  route: {receiver: duty}\nduty:\n  fallback: duty\n"
     "  people: [{name: 甲, channels: [{type: webhook, url_env: H}]}]\n",
     ["alerting.receivers[0].fallback: fallback loop duty -> person:甲 -> duty "
      "(alerting.receivers[0].fallback: 'duty' -> 'person:甲'; duty.fallback: 'person:甲' "
      "-> 'duty'): a message that fails would bounce between them for ever"]),
    ("fallback loop through a person without channels", GAZ + "alerting:\n  receivers:\n"
     "    - {name: duty, fallback: 'person:甲', channels: [{type: webhook, url_env: H}]}\n"
     "  route: {receiver: duty}\nduty:\n  people: [{name: 甲}]\n",
     ["alerting.receivers[0].fallback: fallback loop duty -> person:甲 -> duty "
      "(alerting.receivers[0].fallback: 'duty' -> 'person:甲'; alerting.route.receiver "
      "(duty.people[0] has no channels): 'person:甲' -> 'duty'): a message that fails "
      "would bounce between them for ever"]),
    ("inhibit equal on unknown label", BASE + "  inhibit_rules:\n"
     "    - source_matchers: ['severity=\"critical\"']\n"
     "      target_matchers: ['severity=\"warning\"']\n      equal: [town]\n",
     ["alerting.inhibit_rules[0].equal: unknown label 'town'; known: rule, severity, "
      "category, township, scheme, source, recurrence_of"]),
]


@pytest.mark.parametrize(("yaml_text", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_alerting_errors_name_the_key(tmp_path, yaml_text, expected):
    path = tmp_path / "county.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.problems == expected


def test_alerting_section_is_optional_and_valid_configs_load(tmp_path):
    path = tmp_path / "county.yaml"
    path.write_text(GAZ, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.alerting.route.receiver == "duty-office"
    # The parentheses matter: BASE's receivers are replaced, not given twice.
    path.write_text((BASE + """    group_by: [rule, township]
    group_wait: 30s
    repeat_interval: 1h30m
    routes:
      - matchers: ['township=~"河口镇|城关镇"', 'category!="其他"']
        receiver: mail
        continue: true
  receivers:
    - name: duty
      fallback: mail
      channels:
        - {type: dingtalk, token_env: DT_TOKEN, secret_env: DT_SECRET}
        - {type: wecom, key_env: WECOM_KEY}
        - {type: lark, token_env: LARK_TOKEN}
        - {type: webhook, url_env: HOOK_URL}
    - name: mail
      channels:
        - {type: email, host: smtp.example.cn, user: yq, password_env: SMTP_PW,
           sender: yq@example.cn, to: [duty@example.cn]}
  time_intervals: [春节]
""").replace("  receivers:\n    - name: duty\n    - name: mail\n", ""), encoding="utf-8")
    cfg = load_config(path)
    assert cfg.alerting.route.routes[0].continue_ is True
    assert cfg.alerting.route.repeat_interval.total_seconds() == 5400
