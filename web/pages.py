"""The server-rendered pages (Chinese interface). Reads need a login; changes need the
officer role and the session's CSRF token; the audit trail needs an admin."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from storage import unavailable
from storage.alerts_store import AmbiguousId
from storage.console import Filters

from . import charts
from .auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    NotAuthenticated,
    Principal,
    TooManyAttempts,
    admin,
    client_ip,
    login,
    officer_change,
    viewer,
    viewer_change,
)
from .data import ConsoleData, parse_time
from .db import now
from .devices import DEVICE_DAYS
from .duty import duty_status

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(viewer)]
Officer = Annotated[Principal, Depends(officer_change)]
PAGE = 50


def _data(request: Request) -> ConsoleData:
    return request.app.state.data


def render(request: Request, name: str, who: Principal | None, status: int = 200,
           **ctx: Any) -> HTMLResponse:
    cfg = request.app.state.cfg
    ctx.update(request=request, who=who, csrf=who.csrf if who else None, now=now(),
               county=cfg.gazetteer.county, poll_seconds=cfg.web.poll_seconds,
               path=request.url.path)
    html = request.app.state.templates.get_template(name).render(ctx)
    return HTMLResponse(html, status_code=status)


def filters_from(source: str | None, township: str | None, category: str | None,
                 sentiment: str | None, days: float | None) -> Filters:
    since = now() - timedelta(days=days) if days else None
    return Filters(source=source or None, township=township or None,
                   category=category or None, sentiment=sentiment or None, since=since)


class FilterArgs:
    """The filters every list shares, from the query string."""

    def __init__(self, source: str | None = None, township: str | None = None,
                 category: str | None = None, sentiment: str | None = None,
                 # A string: the form sends "days=" for 不限, which is not a number.
                 days: str = Query("", pattern=r"^(\d{1,4}(\.\d+)?)?$"),
                 sort: str = Query("newest", pattern="^(newest|negative|relevance)$"),
                 page: int = Query(1, ge=1, le=200)):
        self.values = {"source": source or "", "township": township or "",
                       "category": category or "", "sentiment": sentiment or "",
                       "days": float(days) if days else "", "sort": sort}
        self.filters = filters_from(source, township, category, sentiment,
                                    float(days) if days else None)
        self.sort, self.page = sort, page

    def query(self, **extra: Any) -> str:
        return urlencode({k: v for k, v in {**self.values, **extra}.items() if v})


Filtered = Annotated[FilterArgs, Depends(FilterArgs)]


# ---- login -------------------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    # Only paths on this site: never an open redirect to another host.
    return target if target and target.startswith("/") and not target.startswith("//") \
        else "/feed"


@router.get("/login")
def login_page(request: Request, next: str | None = None, error: str | None = None
               ) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", None, next=_safe_next(next), login_csrf=token,
                  error=error)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=request.app.state.cfg.web.secure_cookies, max_age=3600)
    return resp


@router.post("/login")
def login_submit(request: Request, username: Annotated[str, Form()],
                 password: Annotated[str, Form()], csrf: Annotated[str, Form()] = "",
                 next: Annotated[str, Form()] = "/feed") -> Response:
    # Double-submit token: before login there is no session to hold a CSRF token.
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    target = _safe_next(next)
    if not cookie or not secrets.compare_digest(cookie, csrf):
        return RedirectResponse(f"/login?{urlencode({'next': target, 'error': 'csrf'})}", 303)
    try:
        done = login(request, username.strip(), password)
    except TooManyAttempts:
        return RedirectResponse(f"/login?{urlencode({'next': target, 'error': 'locked'})}",
                                303)
    except NotAuthenticated:
        return RedirectResponse(f"/login?{urlencode({'next': target, 'error': 'bad'})}", 303)
    resp = RedirectResponse(target, status_code=303)
    cfg = request.app.state.cfg.web
    resp.set_cookie(SESSION_COOKIE, done.session, httponly=True, samesite="lax",
                    secure=cfg.secure_cookies, max_age=int(cfg.session_hours * 3600))
    # Only the login form needs it: sent nowhere else, never to another site.
    resp.set_cookie(*done.device_cookie, httponly=True, samesite="strict", path="/login",
                    secure=cfg.secure_cookies, max_age=DEVICE_DAYS * 86400)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request, who: Annotated[Principal, Depends(viewer_change)]) -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        request.app.state.db.end_session(sid)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/")
def home(who: Viewer) -> Response:
    return RedirectResponse("/feed", status_code=303)


# ---- feed and search ---------------------------------------------------------------------

def _feed_ctx(request: Request, f: FilterArgs) -> dict[str, Any]:
    data = _data(request)
    total, items = data.feed(f.filters, f.sort, size=PAGE, offset=(f.page - 1) * PAGE)
    return {"items": items, "total": total, "f": f, "names": data.source_names(),
            "schemes": list(data.schemes), "pages": (total + PAGE - 1) // PAGE}


@router.get("/feed")
def feed(request: Request, who: Viewer, f: Filtered) -> Response:
    return render(request, "feed.html", who, facets=_data(request).facets(),
                  **_feed_ctx(request, f))


@router.get("/feed/rows")
def feed_rows(request: Request, who: Viewer, f: Filtered) -> Response:
    """The feed's table body alone: what the page polls to stay live without a reload."""
    return render(request, "_feed_rows.html", who, **_feed_ctx(request, f))


@router.get("/search")
def search(request: Request, who: Viewer, f: Filtered, q: str = "") -> Response:
    data = _data(request)
    total, hits = (data.search(q, f.filters, f.sort, size=PAGE, offset=(f.page - 1) * PAGE)
                   if q.strip() or any(f.values[k] for k in ("source", "township", "category",
                                                              "sentiment", "days"))
                   else (0, []))
    return render(request, "search.html", who, q=q, hits=hits, total=total, f=f,
                  facets=data.facets(), names=data.source_names(),
                  pages=(total + PAGE - 1) // PAGE)


# ---- events ------------------------------------------------------------------------------

@router.get("/events")
def events(request: Request, who: Viewer) -> Response:
    return render(request, "events.html", who, events=_data(request).events(now()))


@router.get("/events/{event_id}")
def event(request: Request, who: Viewer, event_id: str) -> Response:
    data = _data(request)
    ev = data.event(event_id)
    if ev is None:
        return render(request, "error.html", who, 404, message="没有这个事件")
    return render(request, "event.html", who, ev=ev, names=data.source_names(),
                  chart=charts.timeline_svg(ev["timeline"], ev["interval"]))


# ---- alerts and silences -----------------------------------------------------------------

@router.get("/alerts")
def alerts(request: Request, who: Viewer, state: str = Query("open",
                                                             pattern="^(open|all|firing)$")
           ) -> Response:
    data = _data(request)
    docs = data.alerts(open_only=state == "open", status="firing" if state == "firing" else None)
    return render(request, "alerts.html", who, alerts=docs, state=state)


@router.get("/alerts/rows")
def alert_rows(request: Request, who: Viewer, state: str = Query(
        "open", pattern="^(open|all|firing)$")) -> Response:
    docs = _data(request).alerts(open_only=state == "open",
                                 status="firing" if state == "firing" else None)
    return render(request, "_alert_rows.html", who, alerts=docs)


def _alert_or_404(request: Request, who: Principal, alert_id: str
                  ) -> dict[str, Any] | Response:
    try:
        doc = _data(request).alert(alert_id)
    except AmbiguousId:
        doc = None
    if doc is None:
        return render(request, "error.html", who, 404, message="没有这条预警")
    return doc


@router.get("/alerts/{alert_id}")
def alert(request: Request, who: Viewer, alert_id: str, error: str | None = None
          ) -> Response:
    doc = _alert_or_404(request, who, alert_id)
    if isinstance(doc, Response):
        return doc
    labels = doc.get("labels") or {}
    suggested = " ".join(f'{k}="{v}"' for k, v in sorted(labels.items())
                         if k in ("rule", "township", "event", "scheme", "category"))
    return render(request, "alert.html", who, a=doc, error=error, suggested=suggested,
                  history=request.app.state.db.audit_log(50, target=doc["id"]))


def _back(alert_id: str, error: str | None = None) -> RedirectResponse:
    q = f"?{urlencode({'error': error})}" if error else ""
    return RedirectResponse(f"/alerts/{alert_id}{q}", status_code=303)


@router.post("/alerts/{alert_id}/ack")
def alert_ack(request: Request, who: Officer, alert_id: str) -> Response:
    try:
        doc = _data(request).acknowledge(alert_id, who.user, client_ip(request), now())
    except (KeyError, AmbiguousId):
        return render(request, "error.html", who, 404, message="没有这条预警")
    return _back(doc["id"])


@router.post("/alerts/{alert_id}/handle")
def alert_handle(request: Request, who: Officer, alert_id: str,
                 note: Annotated[str, Form()] = "") -> Response:
    try:
        doc = _data(request).handle(alert_id, note, who.user, client_ip(request), now())
    except (KeyError, AmbiguousId):
        return render(request, "error.html", who, 404, message="没有这条预警")
    except ValueError as exc:
        return _back(alert_id, str(exc))
    return _back(doc["id"])


@router.post("/alerts/{alert_id}/silence")
def alert_silence(request: Request, who: Officer, alert_id: str,
                  matchers: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = "",
                  duration: Annotated[str, Form()] = "", until: Annotated[str, Form()] = ""
                  ) -> Response:
    try:
        _data(request).silence(_split_matchers(matchers), comment, who.user,
                               client_ip(request), now(), duration=duration or None,
                               until=_local_time(until))
    except ValueError as exc:
        return _back(alert_id, str(exc))
    return RedirectResponse("/silences", status_code=303)


def _split_matchers(text: str) -> list[str]:
    # township="河口镇" rule=~"growing.*": split on spaces outside quotes.
    return re.findall(r'(?:[^\s"]+|"[^"]*")+', text)


def _local_time(value: str) -> Any:
    """An <input type=datetime-local> value, meant in Asia/Shanghai."""
    if not value:
        return None
    from datetime import datetime

    from yuqing.records import in_shanghai

    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("到期时间格式不对") from None
    return in_shanghai(t)


@router.get("/silences")
def silences(request: Request, who: Viewer, all: bool = False) -> Response:
    t = now()
    return render(request, "silences.html", who, silences=_data(request).silences(t, all),
                  t=t, show_all=all)


@router.post("/silences/{silence_id}/expire")
def silence_expire(request: Request, who: Officer, silence_id: str) -> Response:
    try:
        _data(request).expire_silence(silence_id, who.user, client_ip(request), now())
    except (KeyError, AmbiguousId):
        return render(request, "error.html", who, 404, message="没有这条静默规则")
    return RedirectResponse("/silences", status_code=303)


# ---- duty, reports, audit ----------------------------------------------------------------

@router.get("/duty")
def duty(request: Request, who: Viewer) -> Response:
    data = _data(request)
    d = duty_status(request.app.state.cfg, now())  # calendar and roster: no cluster needed
    try:
        alerts, silences = data.alerts(open_only=True, size=50), data.silences(now())
    except Exception as exc:
        if not unavailable(exc):
            raise
        # Who is on duty and the watch level matter most when the cluster is away.
        return render(request, "duty.html", who, d=d, alerts=[], silences=[],
                      storage_down=True)
    return render(request, "duty.html", who, d=d, alerts=alerts, silences=silences)


@router.get("/duty/stamp")
def duty_stamp(request: Request, who: Viewer) -> dict[str, str]:
    """What the open duty page compares with its own stamp (calendar, roster and the
    outbox only: it answers while the cluster is away)."""
    return {"stamp": duty_status(request.app.state.cfg, now()).stamp}


def _report_files(request: Request) -> list[Path]:
    folder = request.app.state.cfg.data_path("reports")
    files = [p for p in folder.glob("*") if p.suffix in (".docx", ".html", ".md")] \
        if folder.exists() else []
    return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)[:40]


@router.get("/reports")
def reports_page(request: Request, who: Viewer, error: str | None = None) -> Response:
    return render(request, "reports.html", who, files=_report_files(request), error=error)


@router.get("/reports/download")
def report_download(request: Request, who: Viewer,
                    kind: str = Query("weekly", pattern="^(weekly|daily)$"),
                    spec: str = Query("", max_length=12),
                    fmt: str = Query("docx", pattern="^(docx|html)$")) -> Response:
    """Build the report of the period and send it. Building only reads Elasticsearch; the
    file is kept under var/reports like ``yuqing report`` would write it. Its requests have
    ``web.report_timeout_seconds``: a hung cluster gives the 503 page, not a held thread."""
    from reports import build, default_path, write

    cfg = request.app.state.cfg
    try:
        data, doc = build(cfg, kind, spec.strip() or None, now(),
                          deadline=cfg.web.report_timeout_seconds)
    except ValueError as exc:
        return RedirectResponse(f"/reports?{urlencode({'error': str(exc)})}", 303)
    path = write(doc, fmt, default_path(cfg, data, fmt))
    return _file(path)


def _file(path: Path) -> FileResponse:
    media = {".docx": "application/vnd.openxmlformats-officedocument."
                      "wordprocessingml.document",
             ".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8"}
    return FileResponse(path, media_type=media[path.suffix], filename=path.name)


@router.get("/reports/file/{name}")
def report_file(request: Request, who: Viewer, name: str) -> Response:
    for p in _report_files(request):
        if p.name == name:  # only files listed there: no path tricks
            return _file(p)
    return render(request, "error.html", who, 404, message="没有这个报告文件")


@router.get("/audit")
def audit(request: Request, who: Annotated[Principal, Depends(admin)]) -> Response:
    db = request.app.state.db
    return render(request, "audit.html", who, rows=db.audit_log(500), users=db.users())


__all__ = ["parse_time", "router"]
