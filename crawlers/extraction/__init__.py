"""Page extraction (placeholder until the measured extractor lands): trafilatura + htmldate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import trafilatura

from yuqing.records import SHANGHAI


@dataclass(frozen=True)
class Extracted:
    title: str
    text: str
    published_at: datetime | None
    author: str | None
    encoding: str


def extract(body: bytes | str, url: str | None = None, *, fetched_at: datetime,
            header_encoding: str | None = None) -> Extracted:
    if isinstance(body, bytes):
        enc = header_encoding or "utf-8"
        html = body.decode(enc, errors="replace")
    else:
        enc, html = "utf-8", body
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    title = (doc.title if doc else None) or ""
    text = (doc.text if doc else None) or ""
    published = None
    if doc and doc.date:
        published = datetime.fromisoformat(doc.date).replace(tzinfo=SHANGHAI)
    return Extracted(title=title, text=text, published_at=published,
                     author=(doc.author if doc else None), encoding=enc)
