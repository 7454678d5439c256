"""The duty view's data: the watch level and why (``watch.levels``: official holidays,
make-up workdays, configured sensitive periods, unknown years), the detection thresholds in
force, who is on shift (the duty roster) and the calendar ahead. Without a configured
roster the page says so instead of guessing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from detection.sensitivity import configured_sensitivity
from watch.calendar import day_info
from yuqing.config import Config
from yuqing.records import SHANGHAI

LOOKAHEAD_DAYS = 10  # far enough to arrange a holiday watch roster in time


@dataclass
class DutyStatus:
    now: datetime
    level: str  # 常规 / 周末值守 / 节假日24小时值班
    level_key: str  # normal / weekend / holiday (for styling and the API)
    reasons: list[str]
    thresholds: dict[str, Any]
    on_duty: list[dict[str, str]] | None  # None: no roster configured yet
    warnings: list[str]
    upcoming: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] | None = None

    @property
    def stamp(self) -> str:
        """Changes when anything the page shows outside its live table does: a duty-room
        screen left on the page reloads itself at a shift change, a level change or a new
        escalation step, instead of showing the last shift's people."""
        shown = [self.level_key, self.reasons, self.thresholds, self.on_duty, self.warnings,
                 self.upcoming, [(e["alert_id"], e["step"]) for e in self.escalations or []]]
        return hashlib.sha256(json.dumps(shown, ensure_ascii=False, sort_keys=True,
                                         default=str).encode()).hexdigest()[:16]


def on_duty(cfg: Config, now: datetime) -> list[dict[str, str]] | None:
    """Who is on shift now ([{name, role}]); ``None`` when no roster is configured."""
    if not cfg.duty.roster.officers:
        return None
    from duty.roster import DutyRoster

    shift = DutyRoster(cfg.duty).at(now)
    people = [(shift.officer, f"值班员（{shift.name} {shift.start:%m-%d %H:%M}起）"),
              (shift.leader, "带班领导"), (shift.office_head, "办公室主任")]
    return [{"name": name, "role": role} for name, role in people if name]


def escalations(cfg: Config) -> list[dict[str, Any]]:
    """Alerts whose escalation is under way: [{alert_id, step, last_at}], newest first."""
    from duty import state

    outbox = state.open_outbox(cfg)
    try:
        rows = outbox.db.execute(
            "SELECT alert_id, step, last_at FROM escalations ORDER BY last_at DESC LIMIT 50"
        ).fetchall()
    except Exception:  # noqa: BLE001 - no escalation has happened on this install yet
        rows = []
    finally:
        outbox.close()
    return [{"alert_id": a, "step": s,
             "last_at": datetime.fromtimestamp(t, SHANGHAI).strftime("%m-%d %H:%M")}
            for a, s, t in rows]


def _level(d: date) -> tuple[str, str, list[str]]:
    from watch.levels import watch_on

    w = watch_on(d)
    if w.sensitive_periods:
        return "sensitive", "敏感时期值守", list(w.reasons)
    info = day_info(d)
    if info.holiday:
        why = f"今天是法定节假日（{info.holiday}），阈值调低、全天预警"
        return "holiday", "节假日24小时值班", [why]
    if info.off_day:
        return "weekend", "周末值守", ["今天是休息日"]
    reasons = ["今天是工作日"]
    if info.makeup_workday:
        reasons = ["今天是调休上班日"]
    return "normal", "常规值守", reasons


def _upcoming(today: date) -> tuple[list[dict[str, Any]], list[str]]:
    out: list[dict[str, Any]] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for n in range(1, LOOKAHEAD_DAYS + 1):
        d = today + timedelta(days=n)
        info = day_info(d)
        if not info.known and str(d.year) not in seen:
            seen.add(str(d.year))
            warnings.append(f"官方节假日安排未知：{d.year}年（请更新 chinesecalendar 或在配置"
                            "中补充），节假日与调休无法识别")
        if info.holiday and info.holiday not in seen:
            seen.add(info.holiday)
            out.append({"date": d.isoformat(), "holiday": info.holiday, "in_days": n})
            warnings.append(f"{n}天后（{d:%m月%d日}）{info.holiday}假期开始：请安排24小时值班")
        if info.makeup_workday:
            out.append({"date": d.isoformat(), "holiday": "调休上班", "in_days": n})
    return out, warnings


def duty_status(cfg: Config, now: datetime) -> DutyStatus:
    key, level, reasons = _level(now.date())
    today = day_info(now.date())
    warnings: list[str] = []
    if not today.known:
        warnings.append(f"官方节假日安排未知：{now.year}年——今天是否节假日无法判断，仅按周末处理")
    upcoming, more = _upcoming(now.date())
    warnings += more
    s = configured_sensitivity(cfg, now)
    thresholds = {"窗口（小时）": round(s.window.total_seconds() / 3600),
                  "最少条数": s.min_count, "最低增长倍数": round(s.min_growth, 2),
                  "新事件最少条数": s.event_min_count, "严重级条数": s.critical_count}
    return DutyStatus(now=now, level=level, level_key=key, reasons=reasons,
                      thresholds=thresholds, on_duty=on_duty(cfg, now), warnings=warnings,
                      upcoming=upcoming, escalations=escalations(cfg))
