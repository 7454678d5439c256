"""Feeds and sitemaps as CMSs write them, made well-formed enough to read every entry.

Chinese CMSs print links and titles into RSS and sitemaps unescaped: a bare ``&`` in
``show.php?id=12&cat=3`` and HTML entities XML does not know (``&nbsp;``). lxml's
recovering parser takes ``&cat`` for an unknown entity and drops it, so every link came
out as ``show.php?id=12=3`` (a page that is not the article) and titles were cut at the
``&nbsp;``. Those are repaired outside CDATA sections; a well-formed document is left
byte for byte as it is.
"""

from __future__ import annotations

import re
from html.entities import html5

# An ampersand that opens no character or entity reference.
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9._-]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")
_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.S)


def _html_entity(m: re.Match[bytes]) -> bytes:
    name = m.group(1)
    if name in _XML_ENTITIES:
        return m.group(0)
    char = html5.get(name.decode("ascii") + ";")
    # An unknown name stays as it was: lxml drops it, as it did.
    return b"".join(b"&#%d;" % ord(c) for c in char) if char else m.group(0)


def repair_xml(body: bytes) -> bytes:
    """``body`` with bare ampersands escaped and HTML entities as character references.

    Works on the bytes, whatever the declared encoding: ``&``, ``;`` and ASCII letters
    never occur inside a multi-byte GBK, GB18030, Big5 or UTF-8 character. UTF-16 and
    UTF-32 documents are left alone."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"&" not in body):
        return body
    parts = _CDATA.split(body)
    for i in range(0, len(parts), 2):  # the even parts are outside CDATA
        parts[i] = _ENTITY.sub(_html_entity, _BARE_AMP.sub(b"&amp;", parts[i]))
    return b"".join(parts)
