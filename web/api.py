"""The JSON API behind the pages, for other tools: same users and roles; a bearer token
(``yuqing users token NAME``) or the browser session plus its CSRF header.

The OpenAPI schema is served at /api/openapi.json, behind the same login.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from storage.alerts_store import AlreadyHandled, AmbiguousId
from storage.console import Filters

from .auth import Principal, admin, client_ip, officer_change, viewer
from .data import ConsoleData
from .db import now
from .duty import duty_status

router = APIRouter(prefix="/api", tags=["console"])
Viewer = Annotated[Principal, Depends(viewer)]
Officer = Annotated[Principal, Depends(officer_change)]


def _data(request: Request) -> ConsoleData:
    return request.app.state.data


MAX_WINDOW = 10_000


class ItemFilters:
    def __init__(self, source: str | None = None, township: str | None = None,
                 category: str | None = None,
                 sentiment: str | None = Query(None, pattern="^(negative|neutral|positive)$"),
                 since: datetime | None = None, until: datetime | None = None,
                 sort: str = Query("newest", pattern="^(newest|negative|relevance)$"),
                 size: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10000)):
        if offset + size > MAX_WINDOW:
            # Elasticsearch pages no deeper (index.max_result_window); say so, not a 500.
            raise HTTPException(422, f"offset + size 不能超过 {MAX_WINDOW}：请用筛选条件"
                                     "（时间、来源、乡镇）缩小范围")
        self.filters = Filters(source, township, category, sentiment, since, until)
        self.sort, self.size, self.offset = sort, size, offset


Items = Annotated[ItemFilters, Depends(ItemFilters)]


class HandleBody(BaseModel):
    note: str = Field(min_length=1, description="处置说明")


class SilenceBody(BaseModel):
    matchers: list[str] = Field(min_length=1, examples=[['township="河口镇"']])
    comment: str = Field(min_length=1, description="静默原因")
    duration: str | None = Field(None, examples=["2h"])
    until: datetime | None = None


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_highlight" or v}


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, who: Viewer) -> dict[str, Any]:
    return request.app.openapi()


@router.get("/me")
def me(who: Viewer) -> dict[str, str]:
    return {"name": who.user.name, "role": who.user.role, "via": who.via}


@router.get("/feed", summary="New items matching the monitoring schemes")
def feed(request: Request, who: Viewer, f: Items) -> dict[str, Any]:
    total, items = _data(request).feed(f.filters, f.sort, f.size, f.offset)
    return {"total": total, "items": [_clean(i) for i in items]}


@router.get("/search", summary="Full-text search with the feed's filters, highlighted")
def search(request: Request, who: Viewer, f: Items, q: str = "") -> dict[str, Any]:
    total, hits = _data(request).search(q, f.filters, f.sort, f.size, f.offset)
    return {"total": total, "items": hits}


@router.get("/events", summary="Hot events of the last two weeks, by heat")
def events(request: Request, who: Viewer) -> list[dict[str, Any]]:
    return _data(request).events(now())


@router.get("/events/{event_id}")
def event(request: Request, who: Viewer, event_id: str) -> dict[str, Any]:
    ev = _data(request).event(event_id)
    if ev is None:
        raise HTTPException(404, "没有这个事件")
    ev["timeline"] = [{"t": t.isoformat(), "count": n, "negative": neg}
                      for t, n, neg in ev["timeline"]]
    return ev


@router.get("/alerts")
def alerts(request: Request, who: Viewer, open: bool = False,
           status: str | None = Query(None, pattern="^(firing|resolved)$"),
           size: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    return _data(request).alerts(status=status, open_only=open, size=size)


def _alert_call(fn: Any) -> dict[str, Any]:
    try:
        return fn()
    except (KeyError, AmbiguousId):
        raise HTTPException(404, "没有这条预警") from None
    except AlreadyHandled as exc:
        raise HTTPException(409, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/alerts/{alert_id}")
def alert(request: Request, who: Viewer, alert_id: str) -> dict[str, Any]:
    doc = _alert_call(lambda: _data(request).alert(alert_id))
    if doc is None:
        raise HTTPException(404, "没有这条预警")
    return doc


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge (officer)")
def ack(request: Request, who: Officer, alert_id: str) -> dict[str, Any]:
    return _alert_call(lambda: _data(request).acknowledge(alert_id, who.user,
                                                          client_ip(request), now()))


@router.post("/alerts/{alert_id}/handle", summary="Mark handled with a note (officer)")
def handle(request: Request, who: Officer, alert_id: str, body: HandleBody) -> dict[str, Any]:
    return _alert_call(lambda: _data(request).handle(alert_id, body.note, who.user,
                                                     client_ip(request), now()))


@router.get("/silences")
def silences(request: Request, who: Viewer, all: bool = False) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in _data(request).silences(now(), all)]


@router.post("/silences", summary="Silence matching alerts with a reason and expiry (officer)")
def silence(request: Request, who: Officer, body: SilenceBody) -> dict[str, Any]:
    try:
        s = _data(request).silence(body.matchers, body.comment, who.user, client_ip(request),
                                   now(), duration=body.duration, until=body.until)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return s.model_dump(mode="json")


@router.post("/silences/{silence_id}/expire")
def expire(request: Request, who: Officer, silence_id: str) -> dict[str, Any]:
    try:
        s = _data(request).expire_silence(silence_id, who.user, client_ip(request), now())
    except (KeyError, AmbiguousId):
        raise HTTPException(404, "没有这条静默规则") from None
    return s.model_dump(mode="json")


@router.get("/duty")
def duty(request: Request, who: Viewer) -> dict[str, Any]:
    d = duty_status(request.app.state.cfg, now())
    return {"now": d.now.isoformat(), "level": d.level, "level_key": d.level_key,
            "reasons": d.reasons, "thresholds": d.thresholds, "on_duty": d.on_duty,
            "warnings": d.warnings, "upcoming": d.upcoming,
            "open_alerts": _data(request).open_alert_count()}


@router.get("/audit", summary="The audit trail (admin)")
def audit(request: Request, who: Annotated[Principal, Depends(admin)],
          limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
    return request.app.state.db.audit_log(limit)
