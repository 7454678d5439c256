"""Word (.docx), the format offices exchange: headings, tables, charts, real hyperlinks.

python-docx has no public API for hyperlinks, so ``_hyperlink`` writes the ``w:hyperlink``
element with an external relationship, which Word, WPS and LibreOffice all open as a
clickable link. Chinese text needs the East Asian font slot set explicitly; otherwise Word
falls back to a Latin font's substitution and the layout differs between machines.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from yuqing.records import strip_controls

from .blocks import Bullets, Document, Figure, Heading, Link, Para, Runs, Table

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LINK_COLOR = "0563C1"


def _east_asian(style_or_run, name: str) -> None:
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _setup(doc: DocxDocument) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    _east_asian(normal, BODY_FONT)
    for name in ("Title", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        _east_asian(style, HEADING_FONT)
        style.font.color.rgb = RGBColor(0, 0, 0)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.5)


def _hyperlink(par: Paragraph, text: str, url: str) -> None:
    r_id = par.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), LINK_COLOR)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    rpr.extend([color, underline])
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.extend([rpr, t])
    link.append(run)
    par._p.append(link)


def _runs(par: Paragraph, runs: Runs) -> None:
    for r in runs:
        if isinstance(r, Link) and r.url.lower().startswith(("http://", "https://")):
            _hyperlink(par, r.text, r.url)
        else:
            par.add_run(r.text if isinstance(r, Link) else r)


def _table(doc: DocxDocument, t: Table) -> None:
    table = doc.add_table(rows=1, cols=len(t.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, t.header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in t.rows:
        cells = table.add_row().cells
        for cell, runs in zip(cells, row, strict=True):
            _runs(cell.paragraphs[0], runs)
    for row in table.rows:
        for cell in row.cells:
            for par in cell.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(9)
    doc.add_paragraph()


def _safe(doc: Document) -> Document:
    """A copy whose strings XML accepts: alerts and items stored before the crawl removed
    control characters still carry them, and one would make the whole report fail."""
    def clean(v: object) -> object:
        if isinstance(v, str):
            return strip_controls(v)
        if isinstance(v, list | tuple):
            return type(v)(clean(x) for x in v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return dataclasses.replace(v, **{f.name: clean(getattr(v, f.name))
                                             for f in dataclasses.fields(v)})
        return v

    return clean(doc)  # type: ignore[return-value]


def build(doc: Document) -> DocxDocument:
    doc = _safe(doc)
    out = new_document()
    _setup(out)
    title = out.add_heading(doc.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = out.add_paragraph(doc.subtitle)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for b in doc.blocks:
        if isinstance(b, Heading):
            out.add_heading(b.text, level=b.level)
        elif isinstance(b, Para):
            par = out.add_paragraph()
            _runs(par, b.runs)
            if b.note:
                for run in par.runs:
                    run.font.size = Pt(9)
                    run.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
        elif isinstance(b, Bullets):
            for item in b.items:
                _runs(out.add_paragraph(style="List Bullet"), item)
        elif isinstance(b, Table):
            _table(out, b)
        elif isinstance(b, Figure):
            out.add_picture(io.BytesIO(b.png), width=Cm(15))
            out.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cap = out.add_paragraph(f"图：{b.caption}")
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return out


def render(doc: Document) -> bytes:
    buf = io.BytesIO()
    build(doc).save(buf)
    return buf.getvalue()


def write(doc: Document, path: Path) -> None:
    path.write_bytes(render(doc))
