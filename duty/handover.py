"""The shift hand-over (交接班): what fired, what is still open, what was handled.

Built from the alert records (Elasticsearch) and the outbox (escalations), for one shift
of the roster; text or markdown, in Chinese. Pure composition lives in ``compose`` so it
can be tested without a cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerts.message import alert_link, one_line
from yuqing.records import SHANGHAI

from .roster import Shift


@dataclass
class HandoverData:
    shift: Shift
    until: datetime  # the shift's end, or now for the shift in progress
    fired: list[dict[str, Any]] = field(default_factory=list)
    open: list[dict[str, Any]] = field(default_factory=list)
    handled: list[dict[str, Any]] = field(default_factory=list)
    escalations: int = 0
    notes: list[str] = field(default_factory=list)


_NEVER = datetime(1970, 1, 1, tzinfo=SHANGHAI)  # (datetime.min overflows in comparisons)


def _t(v: Any) -> datetime | None:
    if not v:
        return None
    return (v if isinstance(v, datetime) else datetime.fromisoformat(v)).astimezone(SHANGHAI)


def gather(cfg, shift: Shift, now: datetime) -> HandoverData:
    from storage import open_alert_stores

    from . import state

    until = min(shift.end, now)
    data = HandoverData(shift, until)
    alerts, _ = open_alert_stores(cfg)
    docs = sorted(alerts.for_handover(shift.start, until),
                  key=lambda d: _t(d.get("fired_at")) or _NEVER, reverse=True)  # newest first

    def within(v: Any) -> bool:
        t = _t(v)
        return t is not None and shift.start <= t < until

    data.fired = [d for d in docs if within(d.get("fired_at"))]
    data.handled = [d for d in docs if within(d.get("handled_at"))]
    data.open = [d for d in docs if d.get("status") == "firing" and not d.get("handled_at")]
    ob = state.open_outbox(cfg)
    try:
        row = ob.db.execute("SELECT COUNT(*) FROM notifications WHERE kind='escalation' AND "
                            "created_at>=? AND created_at<?",
                            (shift.start.timestamp(), until.timestamp())).fetchone()
        data.escalations = int(row[0])
    finally:
        ob.close()
    return data


def _state(d: dict[str, Any]) -> str:
    if d.get("handled_at"):
        return f"已处置（{d.get('handled_by')}：{one_line(d.get('handle_note') or '')}）"
    if d.get("acknowledged_at"):
        return f"已确认（{d.get('acknowledged_by')}），待处置"
    return "未确认"


def _line(d: dict[str, Any], md: bool, console_url: str | None = None) -> str:
    """One alert; ``console_url`` given, with its console page (where the next shift
    acknowledges and handles it)."""
    t = _t(d.get("fired_at"))
    when = t.strftime("%m-%d %H:%M") if t else "?"
    link = ""
    top = d.get("top_items") or []
    if top:
        url = one_line(top[0]["url"])
        link = f" [{_md_text(top[0]['title'][:30])}]({_md_url(url)})" if md else f" {url}"
    elif d.get("urls"):
        link = f" {one_line(d['urls'][0])}"
    page = alert_link(console_url, str(d.get("id")))
    if page:
        link += f" [处理]({_md_url(page)})" if md else f"\n  处理：{page}"
    title = one_line(str(d.get("title")))
    return (f"- {when} {_md_text(title) if md else title}｜{_state(d)}｜编号 "
            f"{str(d.get('id'))[:12]}{link}")


def _md_text(text: str) -> str:
    """A post title as markdown text: its own brackets or emphasis would end the link
    early or start one of its own (``[x](http://elsewhere)``)."""
    return re.sub(r"([\\`*_\[\]<>()#|!~])", r"\\\1", one_line(text))


def _md_url(url: str) -> str:
    """A link target that ends where the link does: its parentheses, angle brackets and
    spaces percent-encoded (the same address to any server)."""
    return url.translate({ord(c): f"%{ord(c):02X}" for c in " ()<>"})


def compose(data: HandoverData, fmt: str = "text", console_url: str | None = None
            ) -> tuple[str, str]:
    """``console_url``: ``alerting.console_url``, for a link to each open alert's page."""
    md = fmt == "md"
    s = data.shift
    title = (f"【交接班】{s.start:%Y-%m-%d} {s.name}（{s.start:%m-%d %H:%M}—"
             f"{s.end:%m-%d %H:%M}）")
    h = "## " if md else "【"
    e = "" if md else "】"
    out = [f"# {title}" if md else title, "",
           f"值班员：{s.officer or '未排'}　带班领导：{s.leader or '未排'}　值守级别："
           f"{s.level}", f"统计截至：{data.until:%Y-%m-%d %H:%M}", ""]
    out.append(f"{h}一、本班新发预警（{len(data.fired)} 条）{e}")
    out += [_line(d, md) for d in data.fired] or ["- 无"]
    out += ["", f"{h}二、仍未处置（{len(data.open)} 条，需接班人员跟进）{e}"]
    out += [_line(d, md, console_url) for d in data.open] or ["- 无"]
    out += ["", f"{h}三、本班已处置（{len(data.handled)} 条）{e}"]
    out += [_line(d, md) for d in data.handled] or ["- 无"]
    out += ["", f"{h}四、其他{e}", f"- 本班预警升级 {data.escalations} 次"]
    out += [f"- {n}" for n in data.notes]
    return title, "\n".join(out)
