"""Device cookies: the OWASP answer to password spraying without locking an office out.

After a successful login the browser keeps a long-lived, HttpOnly cookie signed for that
user name. Failed logins that bring it are counted per cookie, so someone guessing
passwords elsewhere (without the cookie) can lock the name for untrusted browsers but
never keep its owner out of the browser they use. The cookie grants nothing but that: it
is not a login.

One cookie per user name (its name carries a hash of the user name), so officers who
share a duty-room browser each keep their own. The value is ``v1.<issued>.<nonce>.<mac>``;
the mac covers the user name, so one user's cookie is no use for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from yuqing.config import Config, secret

DEVICE_DAYS = 365
COOKIE_PREFIX = "yq_device_"


def cookie_name(user: str) -> str:
    return COOKIE_PREFIX + hashlib.sha256(user.encode()).hexdigest()[:16]


def _mac(key: bytes, user: str, issued: str, nonce: str) -> str:
    msg = "\0".join(("yq-device-v1", user, issued, nonce)).encode()
    digest = hmac.new(key, msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(key: bytes, user: str, now: datetime) -> str:
    issued, nonce = str(int(now.timestamp())), secrets.token_urlsafe(16)
    return f"v1.{issued}.{nonce}.{_mac(key, user, issued, nonce)}"


def device_id(key: bytes, user: str, value: str | None, now: datetime) -> str | None:
    """The id failures are counted under, if ``value`` is a genuine, unexpired device
    cookie of ``user``; None for anything else (missing, forged, another user's, old)."""
    parts = (value or "").split(".")
    if len(parts) != 4 or parts[0] != "v1" or not parts[1].isdigit():
        return None
    _, issued, nonce, mac = parts
    if not hmac.compare_digest(mac, _mac(key, user, issued, nonce)):
        return None
    age = now.timestamp() - int(issued)
    if not 0 <= age <= timedelta(days=DEVICE_DAYS).total_seconds():
        return None
    return nonce


def console_key(cfg: Config) -> bytes:
    """The signing key: from the environment variable ``web.secret_env`` names, else the
    console's own key file, generated on first start."""
    if cfg.web.secret_env:
        return secret(cfg.web.secret_env, what="web.secret_env (device cookies)").encode()
    return _key_file(cfg.data_path("state", "console.key"))


def _key_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    try:
        # A link fails if another console process got there first: both then use its key
        # (a plain rename would let the second key silently replace the first).
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes().strip()
