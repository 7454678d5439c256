"""A test message (【测试消息】) through each channel of one receiver, for ``yuqing alerts test``.

After a robot token is rotated or a person is added, the office wants to know now that the
channel works, not at the next real alert. So each channel is sent to directly, not
through the outbox: a retry or a fallback receiver would hide the very failure the test is
for, and a test message must never reach anyone but its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yuqing.records import SHANGHAI

from .channels import AnyChannel, send
from .config import Receiver

CHANNEL_ZH = {"dingtalk": "钉钉机器人", "wecom": "企业微信机器人", "feishu": "飞书机器人",
              "lark": "Lark 机器人", "email": "邮件", "webhook": "Webhook"}


@dataclass(frozen=True)
class ChannelCheck:
    receiver: str
    index: int
    channel: str  # its type
    error: str = ""  # empty: accepted

    @property
    def ok(self) -> bool:
        return not self.error

    def line(self) -> str:
        return (f"{self.receiver} channel {self.index} ({self.channel}): "
                f"{'ok' if self.ok else 'failed: ' + self.error}")


def compose(receiver: str, ch: AnyChannel, index: int, total: int, now: datetime
            ) -> tuple[str, str]:
    kind = CHANNEL_ZH.get(ch.type, ch.type)
    title = f"【测试消息】{receiver}｜{kind}"
    body = "\n".join([
        f"接收方：{receiver}",
        f"通道：{kind}（第 {index + 1} 个，共 {total} 个）",
        f"时间：{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}（北京时间）",
        "收到即表示通道正常，无需处理。",
    ])
    return title, body


def check(receiver: Receiver, now: datetime, *, timeout: float = 10.0
          ) -> list[ChannelCheck]:
    """Send the test message through each channel of ``receiver``; one result each."""
    out = []
    total = len(receiver.channels)
    for idx, ch in enumerate(receiver.channels):
        title, body = compose(receiver.name, ch, idx, total, now)
        result = send(ch, title, body, timeout=timeout)
        error = "" if result.ok else result.error or "not accepted"
        out.append(ChannelCheck(receiver.name, idx, ch.type, error))
    return out
