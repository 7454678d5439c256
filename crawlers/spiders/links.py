"""Link discovery on list pages: which links on a page are articles / messages.

A list page links to many things (navigation, channels, pagination, ads, other sites).
An article link is on the same site, has headline-like anchor text, and a URL that looks
like a document (digits, a date, .html/.shtml, an id parameter) rather than a channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import scrapy
import tldextract
from scrapy.http import Response

_DOC_SUFFIX = re.compile(r"\.(s?html?|php|aspx?|jsp)$", re.I)
_DATE_PATH = re.compile(r"/(19|20)\d{2}[-/_]?\d{2}([-/_]?\d{2})?(/|$)|/t(19|20)\d{6}_")
_ID_QUERY = re.compile(r"(^|&)(id|aid|tid|nid|newsid|articleid|contentid|itemid|msgid|"
                       r"letterid|mid)=\w+", re.I)
_NAV_PATH = re.compile(
    r"(^|/)(index|default|list|more|column|channel|category|node)([_-]?\d+)?\.s?html?$"
    r"|/(list|lists|category|categories|tag|tags|column|channel|node|search|login|register|"
    r"member|user|about|contact|special|topic)s?(/|$|[_-])", re.I)
_NAV_QUERY = re.compile(r"(^|&)(page|p|pageno|pagenum|mod=forumdisplay|mod=space|do=)=?",
                        re.I)

# Rows of a list: the nearest container of a link that holds its date and status.
ROW_XPATH = ("ancestor::*[self::li or self::tr or self::dd or self::dt or self::p or "
             "self::div or self::tbody][1]")


@dataclass(frozen=True)
class ListLink:
    url: str
    title: str
    row_text: str  # the row's text without the title: dates, status, counts


def looks_like_document(url: str) -> bool:
    parts = urlsplit(url)
    path, query = parts.path, parts.query
    if _NAV_PATH.search(path) or (query and _NAV_QUERY.search(query)):
        return False
    if _DATE_PATH.search(path) or re.search(r"\d{5,}", path):
        return True
    if re.search(r"\d", path) and _DOC_SUFFIX.search(path):
        return True
    return bool(query and _ID_QUERY.search(query))


# The public suffix list tldextract ships (Scrapy depends on it): never downloaded, so a
# crawl host without internet access decides the same. Private suffixes (github.io) count,
# so two owners under one of them stay two sites.
_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                  include_psl_private_domains=True)


def registrable_domain(host: str) -> str:
    """The domain one registrant owns: example.gov.cn for news.example.gov.cn, sina.com.cn
    for www.sina.com.cn. An IP address or a name without a public suffix is itself."""
    return _SUFFIXES(host).top_domain_under_public_suffix or host


def start_domains(urls: list[str], *, whole_site: bool) -> list[str]:
    """The domains a source stays on when its config names none: the start URLs' hosts
    (and their subdomains), or with ``whole_site`` their registrable domains."""
    hosts = {(urlsplit(u).hostname or "").lower() for u in urls}
    return sorted({registrable_domain(h) if whole_site else h for h in hosts})


def same_site(url: str, domains: list[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def anchor_title(a: scrapy.Selector) -> str:
    """Anchor text, or its title attribute when the text is cut short ("…")."""
    text = " ".join("".join(a.xpath(".//text()").getall()).split())
    full = " ".join((a.attrib.get("title") or "").split())
    if full and (not text or text.endswith(("...", "…", "..")) or len(full) > len(text)):
        return full
    return text


def row_text(a: scrapy.Selector, title: str) -> str:
    row = a.xpath(ROW_XPATH)
    text = " ".join("".join(row.xpath(".//text()").getall()).split()) if row else ""
    return text.replace(title, " ", 1).strip()


def discover(response: Response, domains: list[str], *, selector: str | None = None,
             min_len: int = 6, max_len: int = 80) -> list[ListLink]:
    """Document links of a list page, in page order, each once.

    With a configured ``selector`` (the site's ``selectors.list_links``) every matched
    link counts, on other hosts too: the site says they are its entries, so the spider
    counts and logs one outside its domains as dropped (``offsite``). Otherwise the
    headline-length and document-URL heuristics decide, among this site's links only: a
    list page links to many other sites, and those are no entries of this source.
    """
    if selector:
        nodes = (response.xpath(selector) if selector.startswith(("/", "("))
                 else response.css(selector))
        anchors = [n for n in nodes if n.root.tag == "a"] + [
            a for n in nodes if n.root.tag != "a" for a in n.css("a[href]")]
    else:
        anchors = list(response.css("a[href]"))
    out: list[ListLink] = []
    seen: set[str] = set()
    for a in anchors:
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = response.urljoin(href).split("#", 1)[0]
        if url in seen or (not selector and not same_site(url, domains)):
            continue
        title = anchor_title(a)
        if not selector and not (min_len <= len(title) <= max_len and looks_like_document(url)):
            continue
        seen.add(url)
        out.append(ListLink(url, title, row_text(a, title)))
    return out
