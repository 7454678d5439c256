"""Label matchers in Alertmanager's string syntax: ``name="v"``, ``name!="v"``, ``name=~"re"``,
``name!~"re"``. Values may be quoted (with ``\\"``, ``\\\\`` and ``\\n`` escapes) or bare.

Regexes are fully anchored, as in Alertmanager, so ``township=~"河口"`` does not match
``河口镇``. A label an alert does not carry has the value ``""``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from yuqing.records import Alert

# The labels routing can see. Detection sets township/scheme/source in Alert.labels, and
# recurrence_of (the handled alert's id) on a complaint back after handling, so that
# recurrences can be routed higher: ``recurrence_of!=""``. rule/severity/category come
# from the Alert's own fields.
KNOWN_LABELS = ("rule", "severity", "category", "township", "scheme", "source",
                "recurrence_of")

_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$', re.S)


class MatcherError(ValueError):
    pass


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~"):
            try:
                object.__setattr__(self, "_re", re.compile(f"(?:{self.value})\\Z", re.S))
            except re.error as exc:
                raise MatcherError(f"invalid regex {self.value!r}: {exc}") from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        got = labels.get(self.name, "")
        if self.op == "=":
            return got == self.value
        if self.op == "!=":
            return got != self.value
        hit = self._re.match(got) is not None  # type: ignore[attr-defined]
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def _unquote(raw: str, text: str) -> str:
    if not raw.startswith('"'):
        if '"' in raw:
            raise MatcherError(f"cannot parse matcher {text!r}: stray quote")
        return raw
    if len(raw) < 2 or not raw.endswith('"'):
        raise MatcherError(f"cannot parse matcher {text!r}: unterminated quote")
    out, i, body = [], 0, raw[1:-1]
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == '"':
            raise MatcherError(f"cannot parse matcher {text!r}: unescaped quote in value")
        out.append(ch)
        i += 1
    return "".join(out)


def parse_matcher(text: str) -> Matcher:
    m = _MATCHER.match(text)
    if not m:
        raise MatcherError(f"cannot parse matcher {text!r}: expected label=\"value\", "
                           "label!=\"value\", label=~\"regex\" or label!~\"regex\"")
    name, op, raw = m.groups()
    if name not in KNOWN_LABELS:
        raise MatcherError(f"unknown label {name!r} in matcher {text!r}; "
                           f"known: {', '.join(KNOWN_LABELS)}")
    return Matcher(name, op, _unquote(raw, text))


def parse_matchers(texts: Iterable[str]) -> list[Matcher]:
    return [parse_matcher(t) for t in texts]


def alert_labels(alert: Alert) -> dict[str, str]:
    """The label set routing sees: the alert's own fields win over same-named free labels."""
    labels = {k: v for k, v in alert.labels.items() if isinstance(v, str)}
    labels["rule"] = alert.rule
    labels["severity"] = alert.severity.value
    if alert.category:
        labels["category"] = alert.category
    return labels


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
