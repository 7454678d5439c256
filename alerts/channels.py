"""Channels through apprise: build the URL from config + environment at send time, send.

Secrets are read only here and only at send time, so a rotated robot token takes effect
without a restart and never sits in a file or a log line (apprise URLs are logged with
``privacy=True``).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import apprise

from .config import (
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    WebhookChannel,
    WeComChannel,
    channel_secrets,
)

log = logging.getLogger(__name__)

AnyChannel = DingTalkChannel | WeComChannel | FeishuChannel | EmailChannel | WebhookChannel
MASK = "***"


def _secrets(ch: AnyChannel) -> list[str]:
    """The secret values a channel's error could repeat: each as given and URL-quoted; a
    webhook URL's path and query too (where such services put their token)."""
    out: list[str] = []
    for field, env in channel_secrets(ch):
        value = os.environ.get(env, "").strip()
        if not value:
            continue
        out += [value, quote(value, safe="")]
        if field == "url_env":
            parts = urlsplit(value)
            # The path with its slash: "/hook" is masked, the word "webhook" is not.
            out += [p for p in (parts.path.rstrip("/"), parts.query, parts.password) if p]
    # Longest first, so a secret's part does not leave the rest of it readable.
    return sorted({s for s in out if len(s) >= 4}, key=len, reverse=True)


def mask(text: str, ch: AnyChannel) -> str:
    for secret in _secrets(ch):
        text = text.replace(secret, MASK)
    return text

# Message budgets in UTF-8 bytes of title + body. DingTalk and Feishu limit the whole
# request to about 20 000 bytes and the JSON encoder may escape each CJK character as
# \\uXXXX (6 bytes instead of 3), so half the limit is kept. A WeCom text message carries
# at most 2048 bytes of content.
LIMITS = {"dingtalk": 9500, "wecom": 2000, "feishu": 9500, "lark": 9500,
          "email": 60000, "webhook": 30000}


class ChannelError(Exception):
    """The channel could not be used or did not accept the message (reason in the text)."""


def _env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ChannelError(f"environment variable {name} is not set (needed for {what})")
    return value


def _q(text: str) -> str:
    return quote(text, safe="")


def apprise_url(ch: AnyChannel, timeout: float = 10.0) -> str:
    """The apprise URL for one channel, secrets filled in from the environment."""
    timeouts = urlencode({"cto": f"{min(timeout, 5.0):g}", "rto": f"{timeout:g}"})
    if isinstance(ch, DingTalkChannel):
        token = _env(ch.token_env, "DingTalk robot token")
        secret = _env(ch.secret_env, "DingTalk robot secret") if ch.secret_env else None
        auth = f"{_q(secret)}@" if secret else ""
        return f"dingtalk://{auth}{_q(token)}/?{timeouts}"
    if isinstance(ch, WeComChannel):
        return f"wecombot://{_q(_env(ch.key_env, 'WeCom robot key'))}?{timeouts}"
    if isinstance(ch, FeishuChannel):
        return f"{ch.type}://{_q(_env(ch.token_env, f'{ch.type} robot token'))}?{timeouts}"
    if isinstance(ch, EmailChannel):
        scheme = "mailto" if ch.security == "none" else "mailtos"
        auth = ""
        if ch.user:
            pw = _env(ch.password_env, "SMTP password") if ch.password_env else ""
            auth = f"{_q(ch.user)}:{_q(pw)}@" if pw else f"{_q(ch.user)}@"
        port = f":{ch.port}" if ch.port else ""
        params = {"smtp": ch.host, "from": ch.sender, "to": ",".join(ch.to),
                  "mode": "insecure" if ch.security == "none" else ch.security}
        return f"{scheme}://{auth}{ch.host}{port}/?{urlencode(params)}&{timeouts}"
    url = _env(ch.url_env, "webhook URL")
    parts = urlsplit(url)
    schemes = {"http": "json", "https": "jsons", "json": "json", "jsons": "jsons"}
    if parts.scheme not in schemes:
        raise ChannelError(f"{ch.url_env}: expected an http(s) URL, got scheme "
                           f"{parts.scheme!r}")
    query = f"{parts.query}&{timeouts}" if parts.query else timeouts
    return urlunsplit((schemes[parts.scheme], parts.netloc, parts.path or "/", query, ""))


def limit_for(ch: AnyChannel) -> int:
    return LIMITS[ch.type]


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str = ""


def send(ch: AnyChannel, title: str, body: str, *, timeout: float = 10.0) -> SendResult:
    """Send one message; ok only when the service accepted it (apprise returned True)."""
    try:
        url = apprise_url(ch, timeout)
    except ChannelError as exc:
        return SendResult(False, str(exc))
    ap = apprise.Apprise()
    if not ap.add(url):
        return SendResult(False, f"{ch.type}: apprise rejected the channel URL "
                          "(check the token/key format)")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(ap.notify(body=body, title=title))
    if ok:
        return SendResult(True)
    lines = [_LOG_HEAD.sub("", ln) for ln in captured.getvalue().splitlines() if ln.strip()]
    # Masked here, once: the error goes to the outbox, `alerts outbox`, the heartbeat's
    # group chat and `alerts test` alike.
    return SendResult(False, mask(f"{ch.type}: "
                                  + (lines[-1][-300:] if lines else "not accepted"), ch))


# apprise's log format ("2026-11-20 03:00:00,123 - WARNING - "): noise in an error that
# the outbox, the heartbeat and `alerts test` show in a line.
_LOG_HEAD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - [A-Z]+ - ")
