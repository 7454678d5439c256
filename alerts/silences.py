"""Silences: mute matching alerts for a while, always with an author and a reason."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yuqing.records import SHANGHAI

from .matchers import matches_all, parse_matcher


def matches_any_alert(matchers: list[str]) -> bool:
    """True when every matcher also matches a missing label (``township!="河口镇"``,
    ``category=~".*"``): such a silence would mute almost every alert, critical ones
    included. Alertmanager refuses these silences; so do we."""
    return all(parse_matcher(t).matches({}) for t in matchers)


class Silence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    matchers: list[str] = Field(min_length=1)
    starts_at: datetime
    ends_at: datetime
    created_by: str = Field(min_length=1)
    # Required: the next shift must be able to tell why an alert stayed quiet.
    comment: str = Field(min_length=1)
    created_at: datetime

    @field_validator("matchers")
    @classmethod
    def _parse(cls, v: list[str]) -> list[str]:
        for text in v:
            parse_matcher(text)
        return v

    @field_validator("comment", "created_by")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()

    @field_validator("starts_at", "ends_at", "created_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("datetime must be timezone-aware")
        return v.astimezone(SHANGHAI)

    @model_validator(mode="after")
    def _order(self) -> Silence:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    @classmethod
    def create(cls, matchers: list[str], *, starts_at: datetime, ends_at: datetime,
               created_by: str, comment: str, now: datetime) -> Silence:
        """A new silence; ValueError when its matchers would mute nearly everything
        (stored silences are loaded as they are)."""
        if matchers and matches_any_alert(matchers):
            raise ValueError(
                f"silence {' '.join(matchers)} would mute almost every alert, critical ones "
                "included: at least one matcher must not match an empty label, e.g. "
                'township="河口镇" or category=~"环境.*"')
        key = "\x1f".join([*matchers, starts_at.isoformat(), ends_at.isoformat(), created_by,
                           comment, now.isoformat()])
        sid = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
        return cls(id=sid, matchers=matchers, starts_at=starts_at, ends_at=ends_at,
                   created_by=created_by, comment=comment, created_at=now)

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        return self.active(now) and matches_all(
            [parse_matcher(t) for t in self.matchers], labels)
