"""The ``duty:`` section: people, the roster, escalation, heartbeat and the grid.

Must not import ``yuqing.config`` (which imports it). Cross-key checks (a roster name that
is not a person) are in ``DutyConfig.problems`` so errors name the key path.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.config import (
    PERSON_PREFIX,
    SPECIAL_RECEIVERS,
    AlertingConfig,
    Channel,
    Duration,
    PositiveDuration,
    Route,
)
from watch.config import WatchLevel

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
SHIFT_ID = re.compile(r"^\d{4}-\d{2}-\d{2}/(day|night|full)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Model):
    name: str = Field(min_length=1)
    phone: str | None = None
    # Departments this person answers for in the grid (gazetteer ``department`` values).
    departments: list[str] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)


def _shift_id(v: str) -> str:
    if not SHIFT_ID.match(v):
        raise ValueError(f"{v!r} is not a shift id like 2026-10-01/day (day, night or full)")
    return v


class Override(_Model):
    """Someone else takes a shift (sick leave, a leader's trip)."""

    shift: str
    officer: str | None = None
    leader: str | None = None

    _s = field_validator("shift")(_shift_id)


class Swap(_Model):
    """Two officers exchange their shifts."""

    shifts: list[str] = Field(min_length=2, max_length=2)

    @field_validator("shifts")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        return [_shift_id(s) for s in v]


class Roster(_Model):
    # Rotation epoch: the first shift of this day goes to officers[0], leaders[0].
    start: date = date(2026, 1, 1)
    day_start: str = "08:30"
    night_start: str = "17:30"
    # Days at these watch levels are one 24-hour shift (节假日24小时值班) from day_start.
    full_day_levels: list[WatchLevel] = Field(default_factory=lambda: ["holiday", "sensitive"])
    officers: list[str] = Field(default_factory=list)  # one per shift, in turn
    leaders: list[str] = Field(default_factory=list)  # shift leader (带班领导), one per day
    office_head: str | None = None  # 办公室主任: the last escalation step
    overrides: list[Override] = Field(default_factory=list)
    swaps: list[Swap] = Field(default_factory=list)

    @field_validator("day_start", "night_start")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"{v!r} is not a time like 08:30")
        return v

    @model_validator(mode="after")
    def _day_before_night(self) -> Roster:
        # The night shift runs from night_start to the next day_start; the other way
        # round the shifts overlap and a "night" lasts 36 hours.
        if self.night_start <= self.day_start:
            raise ValueError(f"night_start {self.night_start} must be later in the day than "
                             f"day_start {self.day_start}")
        return self


def _per_level_minutes(normal: int, holiday: int, sensitive: int):
    return lambda: {"normal": timedelta(minutes=normal), "holiday": timedelta(minutes=holiday),
                    "sensitive": timedelta(minutes=sensitive)}


_ESCALATION_WAITS = _per_level_minutes(30, 15, 10)


class Escalation(_Model):
    enabled: bool = True
    # Not acknowledged this long after it was last notified → the next step of the chain.
    after: dict[WatchLevel, Duration] = Field(default_factory=_ESCALATION_WAITS)
    # Each step's receiver; the last is repeated until someone acknowledges.
    chain: list[str] = Field(default_factory=lambda: ["@shift-leader", "@office-head"],
                             min_length=1)
    # Only alerts at least this severe escalate (crawl-health warnings do too by default).
    min_severity: str = Field("warning", pattern=r"^(info|warning|critical)$")

    @field_validator("after")
    @classmethod
    def _every_level(cls, v: dict[str, timedelta]) -> dict[str, timedelta]:
        # {normal: 20m} changes the normal wait; the other levels keep theirs (a missing
        # level would stop escalation on the first holiday).
        return {**_ESCALATION_WAITS(), **v}


class Heartbeat(_Model):
    enabled: bool = True
    receiver: str = "@on-duty"
    # A dead-man's switch (healthchecks.io style): GET this URL after every healthy detection
    # cycle, and <url>/fail when detection is stale. The URL embeds a secret, so give the
    # name of an environment variable (ping_url_env); ping_url is for local testing.
    ping_url_env: str | None = None
    ping_url: str | None = None
    ping_every: PositiveDuration = timedelta(minutes=5)
    stale_after: PositiveDuration = timedelta(minutes=5)
    # No detection cycle completed for this long: 【舆情监测中断】 to ``receiver`` (once
    # per interruption), 【舆情监测恢复】 when one completes again; null: no notice.
    outage_after: PositiveDuration | None = timedelta(minutes=10)
    # A notification that has failed and is still not delivered this long after it was
    # queued (a revoked robot token, a dead mail server) is named in every heartbeat and
    # turns the ping into <url>/fail: an office that hears nothing must learn it elsewhere.
    undelivered_after: PositiveDuration = timedelta(minutes=30)


    @field_validator("ping_url")
    @classmethod
    def _local_only(cls, v: str | None) -> str | None:
        # A real switch's URL is its secret: written in the file it travels with every
        # copy of the configuration. Only a loopback URL (a local test receiver) may be.
        host = urlsplit(v).hostname if v else None
        if v and host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"{host or v!r} is not a loopback address: a dead-man's switch "
                             "URL holds its secret, so put it in an environment variable "
                             "and name that in ping_url_env")
        return v


class Grid(_Model):
    # Every alert about a township or place also goes to the people responsible for it.
    auto: bool = True
    # Gazetteer leader / department names that differ from roster names → people.
    people: dict[str, list[str]] = Field(default_factory=dict)


class DutyConfig(_Model):
    people: list[Person] = Field(default_factory=list)
    roster: Roster = Field(default_factory=Roster)
    escalation: Escalation = Field(default_factory=Escalation)
    heartbeat: Heartbeat = Field(default_factory=Heartbeat)
    grid: Grid = Field(default_factory=Grid)
    # Where a person's notification goes when it cannot be delivered to them.
    fallback: str | None = None

    def person(self, name: str) -> Person:
        for p in self.people:
            if p.name == name:
                return p
        raise KeyError(name)

    def problems(self, receivers: set[str], root: str = "duty") -> list[str]:
        out: list[str] = []
        names = [p.name for p in self.people]
        known = set(names)
        for i, n in enumerate(names):
            if names.count(n) > 1 and names.index(n) != i:
                out.append(f"{root}.people[{i}].name: duplicate person {n!r}")
        r = self.roster

        def need(path: str, name: str | None) -> None:
            if name is not None and name not in known:
                out.append(f"{path}: {name!r} is not in {root}.people")

        for i, n in enumerate(r.officers):
            need(f"{root}.roster.officers[{i}]", n)
        for i, n in enumerate(r.leaders):
            need(f"{root}.roster.leaders[{i}]", n)
        need(f"{root}.roster.office_head", r.office_head)
        for i, o in enumerate(r.overrides):
            need(f"{root}.roster.overrides[{i}].officer", o.officer)
            need(f"{root}.roster.overrides[{i}].leader", o.leader)
        for key, people in self.grid.people.items():
            for j, n in enumerate(people):
                need(f"{root}.grid.people.{key}[{j}]", n)
        for i, step in enumerate(self.escalation.chain):
            if not self.receiver_known(step, receivers):
                out.append(f"{root}.escalation.chain[{i}]: unknown receiver {step!r}")
        hb = self.heartbeat.receiver
        if not self.receiver_known(hb, receivers):
            out.append(f"{root}.heartbeat.receiver: unknown receiver {hb!r}")
        if self.fallback is not None and self.fallback not in receivers:
            out.append(f"{root}.fallback: unknown receiver {self.fallback!r}")
        return out

    def receiver_known(self, name: str, receivers: set[str]) -> bool:
        """A receiver, a special one, or ``person:NAME`` of someone in ``people``."""
        if name in SPECIAL_RECEIVERS or name in receivers:
            return True
        return name.startswith(PERSON_PREFIX) and self._has_person(name)

    def _has_person(self, receiver: str) -> bool:
        return any(p.name == receiver.removeprefix(PERSON_PREFIX) for p in self.people)

    def person_problems(self, alerting: AlertingConfig, root: str = "alerting") -> list[str]:
        """``person:NAME`` receivers of the alerting section that name nobody in
        ``duty.people``: such a route or fallback would deliver to no one."""
        out: list[str] = []

        def check(path: str, name: str | None) -> None:
            if name and name.startswith(PERSON_PREFIX) and not self._has_person(name):
                out.append(f"{path}: {name!r}: {name.removeprefix(PERSON_PREFIX)!r} is not "
                           "in duty.people")

        def walk(route: Route, path: str) -> None:
            check(f"{path}.receiver", route.receiver)
            for k, child in enumerate(route.routes):
                walk(child, f"{path}.routes[{k}]")

        walk(alerting.route, f"{root}.route")
        for i, r in enumerate(alerting.receivers):
            check(f"{root}.receivers[{i}].fallback", r.fallback)
        return out

    def catch_problems(self, alerting: AlertingConfig, root: str = "alerting") -> list[str]:
        """Messages that would reach nobody and be marked done: the root route's receiver
        answers for every special receiver that means nobody now, and for people without
        channels when ``duty.fallback`` is not set, so it must mean someone."""
        out: list[str] = []
        rec = alerting.route.receiver
        r = self.roster
        means = {"@on-duty": bool(r.officers), "@shift-leader": bool(r.leaders),
                 "@office-head": r.office_head is not None, "@grid": False}
        if rec in means and not means[rec]:
            what = ("the people responsible for a place (often nobody)" if rec == "@grid"
                    else f"nobody: duty.roster lists no {rec.removeprefix('@')}")
            out.append(f"{root}.route.receiver: {rec!r} means {what}; the root route's "
                       "receiver takes every message that finds nobody, so it must be a "
                       "receiver or a person")
        silent = {f"{PERSON_PREFIX}{p.name}" for p in self.people if not p.channels}
        catches = self.fallback is not None or (
            rec is not None and not rec.startswith("@") and rec not in silent)
        if not catches:
            for i, p in enumerate(self.people):
                if not p.channels:
                    out.append(f"duty.people[{i}].channels: {p.name!r} has none, and neither "
                               "duty.fallback nor the root route's receiver (a receiver or "
                               "person, not " f"{rec!r}) takes their messages: they would be "
                               "dropped")
        return out
