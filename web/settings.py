"""The ``web:`` section of the configuration (kept free of web-framework imports, so loading
a configuration never pulls in FastAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    # Failed logins within ``lockout_minutes`` before further tries are refused: per user
    # name from browsers without that user's device cookie, per device cookie from those
    # with one (see web/devices.py).
    max_failed_logins: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    # Failed logins from one client address, over all user names, by browsers without a
    # device cookie: stops password spraying. Generous, because an office behind one
    # reverse proxy shares an address (its members with device cookies are not counted).
    lockout_per_address: int = Field(20, ge=1)
    # The name of an environment variable holding the key that signs device cookies;
    # unset, the console generates <data_dir>/state/console.key (mode 0600) once.
    secret_env: str | None = Field(None, min_length=1)
    # Per Elasticsearch request of the console, retried once: a hung cluster turns into
    # the "not reachable" page after about twice this, before the browser gives up on a
    # refresh (twice poll_seconds) and without holding a server thread for minutes.
    storage_timeout_seconds: float = Field(4.0, gt=0, le=30)
    # Per Elasticsearch request of a report download (/reports/download), retried once:
    # a report runs many aggregations over a week, so it gets longer than a page, but a
    # hung cluster still turns into the "not reachable" page after about twice this,
    # not the ~90 s (request_timeout, two retries) of the command-line client.
    report_timeout_seconds: float = Field(30.0, gt=0, le=300)

    @model_validator(mode="after")
    def _address_cap(self) -> WebConfig:
        if self.lockout_per_address < self.max_failed_logins:
            # One user's typos would lock every untrusted browser at the address first.
            raise ValueError(f"lockout_per_address ({self.lockout_per_address}) must be at "
                             f"least max_failed_logins ({self.max_failed_logins})")
        return self
