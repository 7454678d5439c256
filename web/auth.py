"""Who is asking, and may they: sessions, API tokens, roles, CSRF, the login rate limit.

Browsers hold an opaque session id in an HttpOnly, SameSite=Lax cookie; the session row
holds a CSRF token that every state-changing form (hidden field ``csrf``) and fetch call
(header ``X-CSRF-Token``) must repeat. Other tools send ``Authorization: Bearer <token>``
instead; a bearer token is never sent by a browser on its own, so it needs no CSRF token.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request

from . import devices
from .db import ConsoleDB, User, now

SESSION_COOKIE = "yq_session"
LOGIN_CSRF_COOKIE = "yq_login_csrf"


class NotAuthenticated(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooManyAttempts(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    user: User
    csrf: str | None  # None for bearer tokens
    via: str  # "session" | "token"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def _db(request: Request) -> ConsoleDB:
    return request.app.state.db


def principal(request: Request) -> Principal:
    """The authenticated caller, or NotAuthenticated (pages redirect, the API answers 401)."""
    db = _db(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = db.token_user(auth[7:].strip())
        if user is None:
            raise NotAuthenticated()
        return Principal(user, None, "token")
    sid = request.cookies.get(SESSION_COOKIE)
    session = db.session(sid, now()) if sid else None
    if session is None:
        raise NotAuthenticated()
    return Principal(session.user, session.csrf, "session")


async def check_csrf(request: Request, who: Principal) -> None:
    if who.via == "token":
        return
    sent = request.headers.get("x-csrf-token")
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = str((await request.form()).get("csrf") or "")
    if not sent or not who.csrf or not secrets.compare_digest(sent, who.csrf):
        raise Forbidden("CSRF 校验失败：请刷新页面后重试")


def viewer(request: Request) -> Principal:
    return principal(request)


def _role(role: str) -> Callable[[Request], Principal]:
    def dep(request: Request) -> Principal:
        who = principal(request)
        if not who.user.can(role):
            raise Forbidden(f"需要“{ROLE_ZH[role]}”权限")
        return who
    return dep


def _changing(role: str) -> Callable[[Request], Awaitable[Principal]]:
    read = _role(role)

    async def dep(request: Request) -> Principal:
        who = read(request)
        await check_csrf(request, who)
        return who
    return dep


ROLE_ZH = {"viewer": "只读", "officer": "值班员", "admin": "管理员"}
admin = _role("admin")
officer_change = _changing("officer")
viewer_change = _changing("viewer")  # e.g. logging out


@dataclass(frozen=True)
class LoginResult:
    user: User
    session: str
    csrf: str
    device_cookie: tuple[str, str]  # (name, value): a fresh one for this user


# Audited when a limit is hit; no password, and the same words for names that exist and
# names that do not.
LIMITED_ZH = {"device": "此浏览器（设备 cookie）登录失败次数过多",
              "user": "此用户名在无设备 cookie 的浏览器上登录失败次数过多",
              "address": "此地址在无设备 cookie 的浏览器上登录失败次数过多（多个用户名）"}
NOBODY = User("-", "-")


def login(request: Request, name: str, password: str) -> LoginResult:
    """Verify a password under the login limits (see ``ConsoleDB.reserve_attempt``): a
    browser with this name's device cookie is limited per cookie, any other per name and
    per address."""
    cfg = request.app.state.cfg.web
    db, ip, t = _db(request), client_ip(request), now()
    key: bytes = request.app.state.device_key
    device = devices.device_id(key, name, request.cookies.get(devices.cookie_name(name)), t)
    since = t - timedelta(minutes=cfg.lockout_minutes)
    limited = db.reserve_attempt(name, ip, device, since, per_user=cfg.max_failed_logins,
                                 per_address=cfg.lockout_per_address, now=t)
    if limited:
        # Spraying hits the address limit under ever new names: one line per address.
        target = None if limited == "address" else name
        db.audit_once(NOBODY, ip, "login.limited", target, LIMITED_ZH[limited], t, since)
        raise TooManyAttempts()
    user = db.verify(name, password)
    if user is None:
        raise NotAuthenticated()  # the reserved attempt stays counted
    db.clear_failures(name, ip, device)
    sid, csrf = db.new_session(user, t, cfg.session_hours)
    return LoginResult(user, sid, csrf,
                       (devices.cookie_name(name), devices.issue(key, name, t)))
