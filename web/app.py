"""The FastAPI application: state, templates, error handling, security headers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from storage import timed_out, unavailable
from yuqing.config import Config
from yuqing.records import SHANGHAI, figure

from .auth import ROLE_ZH, Forbidden, NotAuthenticated, principal
from .data import ConsoleData
from .db import ConsoleDB, now
from .devices import console_key

HERE = Path(__file__).resolve().parent
SENTIMENT_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}
KIND_ZH = {"news": "新闻", "forum": "论坛", "board": "留言板"}
ACTION_ZH = {"alert.acknowledge": "确认预警", "alert.handle": "处置预警",
             "silence.create": "新建静默", "silence.expire": "静默失效",
             "login.limited": "登录受限"}
SEVERITY_ZH = {"info": "提示", "warning": "警告", "critical": "严重"}
STORAGE_DOWN = ("检索库（Elasticsearch）暂时无法连接，本页数据读取不到。请稍后刷新；"
                "如持续，请联系系统管理员。登录、值班页与审计记录不受影响。")
# Strict by default: the pages need nothing from other origins (static files are vendored).
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def fmt_time(value: Any, form: str = "%m-%d %H:%M") -> str:
    """Any stored time (ISO string, aware datetime) shown in Asia/Shanghai."""
    if not value:
        return "—"
    t = datetime.fromisoformat(value) if isinstance(value, str) else value
    return t.astimezone(SHANGHAI).strftime(form)


def web_link(url: Any) -> str:
    """A link to a post only if it is a web address: a ``javascript:`` or ``data:`` URL
    (possible from a feed entry or a JSONL import) would run in the console."""
    text = str(url or "").strip()
    return text if urlsplit(text).scheme.lower() in ("http", "https") else "#"


def _same_site_referer(request: Request) -> str:
    ref = urlsplit(request.headers.get("referer", ""))
    if ref.netloc == request.url.netloc and ref.path.startswith("/"):
        return ref.path + (f"?{ref.query}" if ref.query else "")
    return "/feed"


def templates() -> Jinja2Templates:
    tpl = Jinja2Templates(directory=str(HERE / "templates"))
    tpl.env.filters.update(t=fmt_time, href=web_link, figure=figure,
                           sentiment=lambda v: SENTIMENT_ZH.get(v or "", v or "—"),
                           kind=lambda v: KIND_ZH.get(v or "", v or "—"),
                           severity=lambda v: SEVERITY_ZH.get(v or "", v or "—"),
                           role=lambda v: ROLE_ZH.get(v, v),
                           action=lambda v: ACTION_ZH.get(v, v))
    return tpl


def console_db(cfg: Config) -> ConsoleDB:
    configured = {u.name: (u.role, u.password_hash) for u in cfg.web.users}
    return ConsoleDB(cfg.data_path("state", "console.sqlite"), configured)


def create_app(cfg: Config, db: ConsoleDB | None = None) -> FastAPI:
    from . import api, pages

    app = FastAPI(title="yuqing 舆情值班台 API", version="1", openapi_url=None, docs_url=None,
                  redoc_url=None)
    app.state.cfg = cfg
    app.state.db = db or console_db(cfg)
    app.state.device_key = console_key(cfg)
    app.state.data = ConsoleData(cfg, app.state.db)
    app.state.templates = templates()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(request: Request, exc: NotAuthenticated) -> Response:
        path, html = request.url.path, "text/html" in request.headers.get("accept", "")
        # Polled fragments (…/rows) answer 401 so the page script reloads into the login
        # page; a redirect would be followed by fetch and the login page pasted into the
        # table. A form sent after the session ran out (a night shift outlasts it) goes
        # to the login page and back to the page it came from, not to bare JSON.
        if path.startswith("/api/") or path.endswith("/rows") or (
                request.method != "GET" and not html):
            return JSONResponse({"detail": "未登录"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        if request.method == "GET":
            target = path + (f"?{request.url.query}" if request.url.query else "")
        else:
            target = _same_site_referer(request)
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
                "accept", ""):
            return JSONResponse({"detail": exc.message}, status_code=403)
        return HTMLResponse(app.state.templates.get_template("error.html").render(
            request=request, message=exc.message, who=None), status_code=403)

    @app.middleware("http")
    async def _storage_down(request: Request, call_next: Any) -> Response:
        # At 3 a.m. with the cluster away the officer must read why the page is empty,
        # not "Internal Server Error"; polled fragments get a bare 503 so the rows shown
        # stay in place.
        try:
            return await call_next(request)
        except Exception as exc:
            if not unavailable(exc):
                raise
            hung = timed_out(exc)
        if request.url.path.startswith("/api/") or request.url.path.endswith("/rows"):
            # ``unavailable`` lets the page script tell the officer it is the cluster, not
            # the console server (or a proxy in front of it), that is away; ``timeout``
            # whether it is hung (takes requests, never answers) rather than down.
            return JSONResponse({"detail": STORAGE_DOWN, "unavailable": "elasticsearch",
                                 "timeout": hung}, status_code=503)
        try:
            who = principal(request)
        except NotAuthenticated:
            who = None
        # A duty-room screen left on this page must come back by itself once the cluster
        # does; only a GET can be loaded again without sending a form twice.
        retry = None
        if request.method == "GET":
            retry = "/" + request.url.path.lstrip("/") + (
                f"?{request.url.query}" if request.url.query else "")
        return HTMLResponse(app.state.templates.get_template("error.html").render(
            request=request, message=STORAGE_DOWN, who=who, csrf=who.csrf if who else None,
            now=now(), county=cfg.gazetteer.county, path=request.url.path, retry=retry,
            poll_seconds=cfg.web.poll_seconds), status_code=503)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            # Pages show live data and who did what: never from a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
