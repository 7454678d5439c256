"""Markdown: a file for chat channels and the body of ``--send``.

Chat robots cannot show embedded images and render tables poorly, so figures are
replaced by a pointer to the .docx/HTML version and, when a size limit applies, tables
become short lists that shrink (longest first) until the message fits; what was left out
is counted, never silently dropped.
"""

from __future__ import annotations

from .blocks import Bullets, Document, Figure, Heading, Link, Para, Runs, Table


def _runs(runs: Runs) -> str:
    return "".join(_link(r) if isinstance(r, Link) else r for r in runs)


def _link(link: Link) -> str:
    if not link.url.lower().startswith(("http://", "https://")):
        return _esc(link.text)  # as in .docx and HTML: a scraped "javascript:" stays text
    # A space or parenthesis would end the link target early; encoded, it is the same URL.
    url = link.url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{_esc(link.text)}]({url})"


def _esc(text: str) -> str:
    # Brackets in a title would end the link text early.
    return text.replace("[", "【").replace("]", "】")


def _cell(runs: Runs) -> str:
    return _runs(runs).replace("|", "｜").replace("\n", " ")


def _table(t: Table, rows: int | None) -> list[str]:
    shown = t.rows if rows is None else t.rows[:rows]
    if rows is None:
        out = ["| " + " | ".join(t.header) + " |", "|" + "---|" * len(t.header)]
        out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in shown]
    else:
        out = ["- " + "｜".join(f"{_cell(c)}" for c in r) for r in shown]
    if len(shown) < len(t.rows):
        out.append(f"- ……另有 {len(t.rows) - len(shown)} 行未列出")
    return out


def render(doc: Document, *, rows: int | None = None) -> str:
    """Markdown of the whole report; ``rows`` turns tables into lists of at most that many
    rows (chat mode)."""
    lines = [f"# {doc.title}", "", f"**{doc.subtitle}**", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            lines += [("## " if b.level == 1 else "### ") + b.text, ""]
        elif isinstance(b, Para):
            lines += [f"> {_runs(b.runs)}" if b.note else _runs(b.runs), ""]
        elif isinstance(b, Bullets):
            lines += [f"- {_runs(i)}" for i in (b.items if rows is None else b.items[:rows])]
            if rows is not None and len(b.items) > rows:
                lines.append(f"- ……另有 {len(b.items) - rows} 条未列出")
            lines.append("")
        elif isinstance(b, Table):
            lines += [*_table(b, rows), ""]
        elif isinstance(b, Figure) and rows is None:
            lines += [f"*（图：{b.caption}，见 .docx / HTML 版）*", ""]
    return "\n".join(lines).rstrip() + "\n"


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def render_for_chat(doc: Document, limit: int) -> tuple[str, str]:
    """(title, body) within ``limit`` UTF-8 bytes of title + body."""
    title = f"{doc.title}（{doc.subtitle}）"
    budget = limit - size(title)
    for rows in range(8, 0, -1):
        body = render(doc, rows=rows)
        if size(body) <= budget:
            return title, body
    # Still too long: keep headings and paragraphs in order and cut at a block boundary.
    body, mark = "", "\n……（篇幅所限，完整报告见 .docx / HTML 版）"
    for chunk in render(doc, rows=0).split("\n\n"):
        candidate = f"{body}\n\n{chunk}" if body else chunk
        if size(candidate) + size(mark) > budget:
            break
        body = candidate
    return title, body + mark

