"""The ``web:`` section of the configuration (kept free of web-framework imports, so loading
a configuration never pulls in FastAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["viewer", "officer", "admin"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfiguredUser(_Model):
    """A console user declared in the YAML file. Only the argon2 hash is ever written
    (``yuqing users hash`` prints one); users added with ``yuqing users add`` live in the
    console database instead."""

    name: str = Field(min_length=1, max_length=64)
    role: Role = "viewer"
    password_hash: str = Field(pattern=r"^\$argon2")


class WebConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    users: list[ConfiguredUser] = Field(default_factory=list)
    session_hours: float = Field(12.0, gt=0)  # one duty shift plus hand-over
    # Set when the console is served over HTTPS (behind a reverse proxy).
    secure_cookies: bool = False
    poll_seconds: int = Field(15, ge=2, le=600)
    # Failed logins per user+IP within ``lockout_minutes`` before further tries are refused.
    max_failed_logins: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
