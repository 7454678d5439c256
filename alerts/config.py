"""The ``alerting:`` section: route tree, receivers and channels, inhibition, delivery.

Modelled on Prometheus Alertmanager. Pydantic checks each key on its own (types, matcher
syntax, positive intervals); ``AlertingConfig.problems()`` then checks what spans keys
(receiver names, fallback cycles, time-interval names) and names the exact key path, so
``yuqing check-config`` points at the line to fix. This module must not import
``yuqing.config`` (which imports it).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from watch.intervals import TimeInterval

from .matchers import KNOWN_LABELS, Matcher, MatcherError, parse_matcher

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:\d+[smhdw])+$")


def parse_duration(value: Any) -> timedelta:
    """``30s``, ``5m``, ``4h``, ``1h30m``, ``2d``. A bare number is refused, as Alertmanager
    does: the same file counts crawl intervals in minutes, and ``escalation.after: {normal:
    30}`` read as seconds would wake the office head half a minute after an alert."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30s, 5m, 4h or 1d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("must be a positive duration")
        n = f"{value:g}"
        raise ValueError(f"{n} has no unit: write {n}s, {n}m or {n}h")
    text = str(value).strip()
    if not _DURATION.match(text):
        raise ValueError(f"{value!r} is not a duration like 30s, 5m, 4h or 1d")
    total = sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([smhdw])", text))
    return timedelta(seconds=total)


def format_duration(value: timedelta) -> str:
    """The inverse of ``parse_duration`` (so a dumped configuration loads again)."""
    seconds, out = int(value.total_seconds()), ""
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= n:
            out += f"{seconds // n}{unit}"
            seconds %= n
    return out or "0s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]


def _positive(v: timedelta | None) -> timedelta | None:
    if v is not None and v <= timedelta(0):
        raise ValueError("must be a positive duration")
    return v


# Intervals of running jobs: 0 would make APScheduler run a job every second, and a zero
# lease would let every host's scheduler lead at once.
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- channels: secrets are names of environment variables, read at send time -------------

class DingTalkChannel(_Model):
    type: Literal["dingtalk"]
    token_env: str
    secret_env: str | None = None  # the robot's 加签 secret, when signing is on


class WeComChannel(_Model):
    type: Literal["wecom"]
    key_env: str  # the key= of the group robot's webhook


class FeishuChannel(_Model):
    type: Literal["feishu", "lark"]  # Lark is the international Feishu
    token_env: str


class EmailChannel(_Model):
    type: Literal["email"]
    host: str
    port: int | None = Field(None, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    user: str | None = None
    password_env: str | None = None
    sender: str
    to: list[str] = Field(min_length=1)


class WebhookChannel(_Model):
    type: Literal["webhook"]
    url_env: str  # an http(s) URL; receives apprise's JSON payload {title, message, ...}


Channel = Annotated[
    DingTalkChannel | WeComChannel | FeishuChannel | EmailChannel | WebhookChannel,
    Field(discriminator="type"),
]

_SECRET_FIELDS = ("token_env", "secret_env", "key_env", "password_env", "url_env")


def channel_secrets(ch: BaseModel) -> list[tuple[str, str]]:
    """(field, environment variable) of each secret a channel needs to send."""
    return [(f, getattr(ch, f)) for f in _SECRET_FIELDS if getattr(ch, f, None)]


class Receiver(_Model):
    name: str
    channels: list[Channel] = Field(default_factory=list)
    # Where a notification goes after delivery.max_attempts failures.
    fallback: str | None = None


# -- route tree -------------------------------------------------------------------------

def _check_matchers(v: list[str]) -> list[str]:
    for text in v:
        parse_matcher(text)  # raises MatcherError (a ValueError) with the reason
    return v


def _check_group_by(v: list[str] | None) -> list[str] | None:
    for name in v or []:
        if name != "..." and name not in KNOWN_LABELS:
            raise ValueError(f"unknown label {name!r}; known: {', '.join(KNOWN_LABELS)} "
                             "or '...' (every label)")
    return v


class Route(_Model):
    """One node of the route tree; unset values are inherited from the parent."""

    receiver: str | None = None
    matchers: list[str] = Field(default_factory=list)
    group_by: list[str] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    # Keep matching siblings after this route matched (Alertmanager's `continue`).
    continue_: bool = Field(False, alias="continue")
    active_time_intervals: list[str] = Field(default_factory=list)
    mute_time_intervals: list[str] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _m = field_validator("matchers")(_check_matchers)
    _g = field_validator("group_by")(_check_group_by)
    _p = field_validator("group_wait", "group_interval", "repeat_interval")(_positive)

    def parsed_matchers(self) -> list[Matcher]:
        return [parse_matcher(t) for t in self.matchers]


class InhibitRule(_Model):
    """While a source alert fires, target alerts with the same ``equal`` labels are muted."""

    source_matchers: list[str] = Field(min_length=1)
    target_matchers: list[str] = Field(min_length=1)
    equal: list[str] = Field(default_factory=list)

    _m = field_validator("source_matchers", "target_matchers")(_check_matchers)

    @field_validator("equal")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in KNOWN_LABELS:
                raise ValueError(f"unknown label {name!r}; known: {', '.join(KNOWN_LABELS)}")
        return v


def _bare_name(v: Any) -> Any:
    return {"name": v, "defined": False} if isinstance(v, str) else v


class Delivery(_Model):
    max_attempts: int = Field(5, ge=1)  # then the receiver's fallback gets it
    backoff_initial: Duration = timedelta(seconds=30)
    backoff_max: Duration = timedelta(minutes=30)
    timeout_seconds: float = Field(10.0, gt=0)

    _p = field_validator("backoff_initial", "backoff_max")(_positive)


DEFAULT_RECEIVER = "duty-office"
# Receivers expanded at dispatch time from the duty roster and the responsibility grid:
# whoever is on shift now, the shift leader, the office head, the people responsible for
# the alert's township or place, and a named person of the roster (``person:张三``).
SPECIAL_RECEIVERS = ("@on-duty", "@shift-leader", "@office-head", "@grid")
PERSON_PREFIX = "person:"


def is_special_receiver(name: str) -> bool:
    return name in SPECIAL_RECEIVERS or name.startswith(PERSON_PREFIX)


def _default_route() -> Route:
    return Route(receiver=DEFAULT_RECEIVER, group_by=["rule", "township"])


class AlertingConfig(_Model):
    # Defaults: one receiver without channels, so a configuration without this section is
    # valid and routing (replay, dry runs) works before any robot is set up.
    route: Route = Field(default_factory=_default_route)
    receivers: list[Receiver] = Field(
        default_factory=lambda: [Receiver(name=DEFAULT_RECEIVER)])
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
    # Named time intervals (Alertmanager's, plus holidays / sensitive periods / watch
    # levels); see watch.intervals. A bare name (the pre-calendar form) stays valid and is
    # ignored by routing, as it was before intervals had definitions.
    time_intervals: list[Annotated[TimeInterval, BeforeValidator(_bare_name)]] = Field(
        default_factory=list)
    delivery: Delivery = Field(default_factory=Delivery)
    # The duty console's address as a phone reaches it (e.g. https://yuqing.example.gov.cn):
    # each message then links to the alert's page. Unset: messages carry the alert id only.
    console_url: str | None = None

    @field_validator("console_url")
    @classmethod
    def _check_console_url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", v):
            raise ValueError(f"expected the console's http(s) address without query or "
                             f"spaces, e.g. https://yuqing.example.gov.cn, got {v!r}")
        return v

    def receiver(self, name: str) -> Receiver:
        for r in self.receivers:
            if r.name == name:
                return r
        raise KeyError(name)

    def problems(self, root: str = "alerting") -> list[str]:
        """Cross-key problems as ``key.path: message`` lines (empty when valid)."""
        out: list[str] = []
        names = [r.name for r in self.receivers]
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                out.append(f"{root}.receivers[{i}].name: duplicate receiver {name!r}")
            seen.add(name)
        defined = ", ".join(names) or "(none)"
        if self.route.matchers:
            out.append(f"{root}.route.matchers: the root route must not have matchers "
                       "(it receives every alert)")
        if self.route.receiver is None:
            out.append(f"{root}.route.receiver: the root route needs a receiver")
        intervals = {ti.name for ti in self.time_intervals}
        for i, ti in enumerate(self.time_intervals):
            if [t.name for t in self.time_intervals].count(ti.name) > 1:
                out.append(f"{root}.time_intervals[{i}].name: duplicate time interval "
                           f"{ti.name!r}")

        def walk(route: Route, path: str) -> None:
            if (route.receiver is not None and route.receiver not in seen
                    and not is_special_receiver(route.receiver)):
                out.append(f"{path}.receiver: undefined receiver {route.receiver!r}; "
                           f"defined: {defined}")
            for key in ("active_time_intervals", "mute_time_intervals"):
                for j, n in enumerate(getattr(route, key)):
                    if n not in intervals:
                        out.append(f"{path}.{key}[{j}]: undefined time interval {n!r}")
            for k, child in enumerate(route.routes):
                walk(child, f"{path}.routes[{k}]")

        walk(self.route, f"{root}.route")
        for i, r in enumerate(self.receivers):
            if r.fallback is not None and r.fallback.startswith("@"):
                # Fail-over stores a row for the fallback receiver itself; "@on-duty" is
                # only expanded to people when routing, so the row could never be sent.
                out.append(f"{root}.receivers[{i}].fallback: {r.fallback!r} cannot be a "
                           "fallback (it means different people at different times); name "
                           "a receiver or person:NAME")
            elif (r.fallback is not None and r.fallback not in seen
                    and not is_special_receiver(r.fallback)):
                out.append(f"{root}.receivers[{i}].fallback: undefined receiver "
                           f"{r.fallback!r}; defined: {defined}")
        out.extend(self._fallback_cycles(root))
        return out

    def _fallback_cycles(self, root: str) -> list[str]:
        by_name = {r.name: r for r in self.receivers}
        out = []
        for i, r in enumerate(self.receivers):
            chain, cur = [r.name], r.fallback
            while cur is not None and cur in by_name:
                if cur == r.name:
                    out.append(f"{root}.receivers[{i}].fallback: fallback cycle "
                               f"{' -> '.join([*chain, cur])}")
                    break
                if cur in chain:  # a cycle further down; reported at its own receiver
                    break
                chain.append(cur)
                cur = by_name[cur].fallback
        return out


__all__ = ["AlertingConfig", "Delivery", "Duration", "InhibitRule", "MatcherError",
           "PositiveDuration", "Receiver", "Route", "parse_duration"]
