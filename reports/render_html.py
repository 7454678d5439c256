"""HTML: one self-contained file (charts embedded as base64 PNG), from a Jinja2 template.

Self-contained because the report is mailed and archived; a page that loads images from
the server breaks as soon as it leaves the office network. Autoescaping is on: titles
are scraped text and must never become markup.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape

from .blocks import Document


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    # Only web links become anchors: a scraped "javascript:" URL stays inert text.
    env.filters["web"] = lambda url: url.lower().startswith(("http://", "https://"))
    return env


def render(doc: Document) -> str:
    return _env().get_template("report.html.j2").render(doc=doc)
