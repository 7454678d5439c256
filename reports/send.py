"""Send a report to an alert receiver's channels (DingTalk, WeCom, Feishu, e-mail, webhook).

The body is the chat form of the markdown report, fitted to each channel's byte limit
(``alerts.channels.LIMITS``): a WeCom robot gets the headline figures and short lists, an
e-mail nearly everything.
"""

from __future__ import annotations

from alerts.channels import SendResult, limit_for, send
from yuqing.config import Config

from .blocks import Document
from .render_md import render_for_chat


def send_report(cfg: Config, receiver: str, doc: Document) -> list[tuple[str, SendResult]]:
    """One result per channel of ``receiver``; KeyError when it is not configured."""
    rec = cfg.alerting.receiver(receiver)
    if not rec.channels:
        return [("(none)", SendResult(False, f"receiver {receiver!r} has no channels"))]
    timeout = cfg.alerting.delivery.timeout_seconds
    out = []
    for ch in rec.channels:
        title, body = render_for_chat(doc, limit_for(ch))
        out.append((ch.type, send(ch, title, body, timeout=timeout)))
    return out
