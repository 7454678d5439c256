"""Convert the message-board CSV of the development corpus to `yuqing replay` JSON lines.

    python tools/board_to_jsonl.py ../shared/corpus/complaints/message_board_with_replies.csv \
        > /tmp/board.jsonl

ids come from 留言编号; 留言用户 (a personal identifier) is never read into the output.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import datetime


def parse_time(raw: str) -> str | None:
    raw = raw.strip()
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).isoformat() + "+08:00"
        except ValueError:
            continue
    return None


def main(path: str) -> int:
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            when = parse_time(row["留言时间"])
            if when is None:
                print(f"skipped 留言编号 {row['留言编号']}: unreadable time "
                      f"{row['留言时间']!r}", file=sys.stderr)
                continue
            rows.append({
                "id": row["留言编号"].strip(),
                "title": row["留言主题"].strip(),
                "text": re.sub(r"\s+", " ", row["留言详情"]).strip(),
                "published_at": when,
                "source": "message-board",
            })
    rows.sort(key=lambda r: r["published_at"])
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
