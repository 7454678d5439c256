"""Parse the date forms Chinese sites print, resolved in Asia/Shanghai.

``parse_date`` understands one date string (absolute, month-day without year, relative
forms such as 3小时前 / 昨天 12:30, ISO 8601, Unix timestamps). Everything returned is
tz-aware Asia/Shanghai and validated: a date in the future of the fetch time or before the
Chinese web existed (1995) is treated as a mis-parse and rejected, so that callers can fall
through to their next candidate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import htmldate
from lxml.html import HtmlElement

from crawlers.extraction.dom import find_title_element, parse_html, visible_text_after
from yuqing.records import SHANGHAI

EARLIEST = datetime(1995, 1, 1, tzinfo=SHANGHAI)
# Clock skew between the site, the crawler and time zones of ISO strings without offset.
FUTURE_SLACK = timedelta(hours=12)
# A date without a year ahead of the fetch time by more than a site's clock can be is last
# year's, not a mis-parse.
YEARLESS_SLACK = timedelta(hours=1)

# A 12-hour clock says which half of the day before the time (下午 3:30, 晚上8:30) or,
# in English, after it (3:30 PM).
_HALF = r"上午|早上|早晨|清晨|凌晨|中午|下午|傍晚|晚上|夜里|夜间|午后"
_TIME = (rf"(?:\s*(?:T|\s)?\s*(?:(?P<ap>{_HALF})\s*)?(?P<H>\d{{1,2}})\s*[:时點点]\s*"
         r"(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2}))?(?:\s*(?P<en>[AaPp][Mm])\b)?)?")
_OFFSET = r"(?P<tz>Z|[+-]\d{2}:?\d{2})?"

# Year-month-day with -, /, . or 年月日 separators, optional time and ISO offset.
_YMD = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年|\s)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*"
    r"(?P<d>\d{1,2})(?!\d)\s*日?" + _TIME + r"(?:\.\d+)?\s*" + _OFFSET
)
# Compact 20230512 (optionally 202305121430): only digit runs of exactly that length.
_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)"
                      r"(?:(?P<H>[0-2]\d)(?P<M>[0-5]\d)(?P<S>[0-5]\d)?)?(?!\d)")
# Month-day without a year: 11-18 14:56, 11/18, 11月18日 (the dash form needs a time, or a
# bare "11-18" in running text would match scores, ranges and phone numbers).
_MD_CN = re.compile(r"(?<![\d年/.-])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]" + _TIME)
_MD_DASH = re.compile(
    rf"(?<![\d/.-])(?P<m>\d{{1,2}})[-/](?P<d>\d{{1,2}})(?![\d/.-])\s+(?:(?P<ap>{_HALF})\s*)?"
    r"(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2}))?"
)
_REL_UNIT = re.compile(
    r"(?P<n>\d+|半|一|两|几)\s*(?:个)?\s*"
    r"(?P<u>秒|分钟|分鐘|分|小时|小時|钟头|天|日|周|週|星期|月|年)\s*[以之]?前"
)
_DAY_WORD = re.compile(r"(?P<w>今天|今日|昨天|昨日|前天|前日)" + _TIME)
_JUST_NOW = re.compile(r"刚刚|剛剛|刚才|剛才|just now")
_TIMESTAMP = re.compile(r"^\s*(?P<ts>1\d{9}|1\d{12})\s*$")

_UNIT_SECONDS = {
    "秒": 1, "分钟": 60, "分鐘": 60, "分": 60, "小时": 3600, "小時": 3600, "钟头": 3600,
    "天": 86400, "日": 86400, "周": 7 * 86400, "週": 7 * 86400, "星期": 7 * 86400,
    "月": 30 * 86400, "年": 365 * 86400,
}
_SMALL_NUMBERS = {"半": 0.5, "一": 1, "两": 2, "几": 3}


def _normalise(s: str) -> str:
    # NFKC folds full-width digits, colons and spaces (２０１３－１１－１８) to ASCII.
    return unicodedata.normalize("NFKC", s).strip()


def _valid(dt: datetime | None, now: datetime) -> datetime | None:
    if dt is None:
        return None
    dt = dt.astimezone(SHANGHAI)
    if dt < EARLIEST or dt > now + FUTURE_SLACK:
        return None
    return dt


_AFTERNOON = ("中午", "下午", "傍晚", "晚上", "夜里", "夜间", "午后", "PM")


def _hour(m: re.Match[str]) -> str | None:
    """The match's hour on a 24-hour clock: 下午 3:30 is 15:30, 凌晨 12:10 is 00:10."""
    hh = m["H"]
    half = m.groupdict().get("ap") or (m.groupdict().get("en") or "").upper()
    if hh is None or not half:
        return hh
    h = int(hh)
    if half in _AFTERNOON:
        # 中午 spans noon: 中午11:50 is before it, 中午1:10 after.
        if h < 12 and not (half == "中午" and h >= 11):
            h += 12
    elif h == 12:  # 上午/凌晨/AM 12:xx is just after midnight
        h = 0
    return str(h)


def _build(y: int, m: int, d: int, hh: str | None, mm: str | None, ss: str | None,
           tz: str | None = None) -> datetime | None:
    try:
        naive = datetime(y, m, d, int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None
    if not tz:
        return naive.replace(tzinfo=SHANGHAI)
    try:
        offset = "+00:00" if tz == "Z" else tz
        if len(offset) == 5:  # +0800 -> +08:00
            offset = offset[:3] + ":" + offset[3:]
        return datetime.fromisoformat(naive.isoformat() + offset)
    except ValueError:
        return naive.replace(tzinfo=SHANGHAI)


def _now_sh(now: datetime) -> datetime:
    return (now if now.tzinfo else now.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI)


def parse_date(s: str, now: datetime) -> datetime | None:
    """Parse the first date in ``s``; None if there is none or it is implausible."""
    if not s:
        return None
    now = _now_sh(now)
    text = _normalise(s)

    if m := _TIMESTAMP.match(text):
        ts = int(m["ts"])
        seconds = ts / 1000 if ts > 10**11 else ts
        return _valid(datetime.fromtimestamp(seconds, SHANGHAI), now)

    if m := _YMD.search(text):
        return _valid(_build(int(m["y"]), int(m["m"]), int(m["d"]), _hour(m), m["M"], m["S"],
                             m["tz"]), now)
    if m := _COMPACT.search(text):
        return _valid(_build(int(m["y"]), int(m["m"]), int(m["d"]), m["H"], m["M"], m["S"]), now)

    # The first month-day printed, whichever form: "09-30 22:46 ... 9月30日消息" is the
    # stamp, not the dateline of the story after it.
    found = [m for m in (p.search(text) for p in (_MD_CN, _MD_DASH)) if m]
    if found:
        m = min(found, key=lambda m: m.start())
        return _month_day(int(m["m"]), int(m["d"]), _hour(m), m["M"], m["S"], now)

    if m := _DAY_WORD.search(text):
        back = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "前日": 2}[m["w"]]
        day = now - timedelta(days=back)
        return _valid(_build(day.year, day.month, day.day, _hour(m), m["M"], m["S"]), now)
    if m := _REL_UNIT.search(text):
        n = _SMALL_NUMBERS.get(m["n"]) or float(m["n"])
        return _valid(now - timedelta(seconds=n * _UNIT_SECONDS[m["u"]]), now)
    if _JUST_NOW.search(text):
        return now
    return None


def parse_absolute(s: str) -> datetime | None:
    """The whole of ``s`` as one absolute date and time with a year (2019/4/25 9:32:09,
    2026年11月29日 08:30, 20261129), naive = Asia/Shanghai; None otherwise. No plausibility
    window and no relative forms: for fields that must hold a time, not for page text."""
    text = _normalise(s)
    m = _YMD.fullmatch(text) or _COMPACT.fullmatch(text)
    if m is None:
        return None
    return _build(int(m["y"]), int(m["m"]), int(m["d"]), _hour(m), m["M"], m["S"],
                  m.groupdict().get("tz"))


def _month_day(month: int, day: int, hh: str | None, mm: str | None, ss: str | None,
               now: datetime) -> datetime | None:
    # No year printed means "this year" on the site; if that lies in the future the page
    # is from last year (a December post read in January). A later day than today is
    # never this year's, whatever the slack: "1月3日" read on 2 January 13:00 is last
    # January, not tomorrow (a year-old post would pass for the newest); a time may run
    # a little ahead, as the site's clock may.
    dt = _build(now.year, month, day, hh, mm, ss)
    if dt is not None and (dt > now + YEARLESS_SLACK or hh is None and dt.date() > now.date()):
        dt = _build(now.year - 1, month, day, hh, mm, ss)
    elif dt is None and month == 2 and day == 29:  # leap day seen from a non-leap year
        dt = _build(now.year - 1, month, day, hh, mm, ss)
    return _valid(dt, now)


# --- publish date of a page -------------------------------------------------------------

# Meta keys that state the publish date, most trustworthy first. Modified/updated dates
# are deliberately absent: an edit is not a publication.
_META_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "og:release_date", "datepublished", "pubdate", "publishdate", "publish_date",
    "publish-date", "publishtime", "published_time", "article.published", "article_date_original",
    "dc.date.issued", "dc.date", "dcterms.created", "dcterms.date", "sailthru.date",
    "weibo:article:create_at", "date", "created", "firstpublishedtime", "releasedate",
)
_JSONLD_RE = re.compile(r'"(?:datePublished|dateCreated|uploadDate)"\s*:\s*"([^"]{6,40})"')
# Inline scripts of Chinese CMSs carry the date in variables (var pubtime = "...") or in
# calls that render it client-side (showDate("2020/04/17 01:43")).
_SCRIPT_DATE_RE = re.compile(
    r"""(?:pub_?(?:lish)?_?(?:date|time)|publish_?time|datePublished|create_?time|showDate)"""
    r"""["']?\s*[:=(]\s*["']([^"']{6,40})["']""",
    re.IGNORECASE,
)
_DAY_RE = re.compile(r"(?:19|20)\d{2}\D{1,3}\d{1,2}\D{1,3}\d{1,2}")
_MAX_SCRIPT_DAYS = 1
_HTMLDATE_EXTENSIVE = True
_MODIFIED_KEYS = ("article:modified_time", "og:updated_time", "datemodified", "dateupdate",
                  "lastmod", "last-modified")
# Labels that introduce the publish date in visible text (Discuz 发表于, CMS 发布时间).
# Bare 时间 / 日期 are words of running text too ("当地时间6月4日", "在过去一年的时间里"),
# so they count only with a colon; and the date must follow the label directly, or a
# date later in the sentence is taken for the page's.
_LABEL_RE = re.compile(
    r"(?:(?:发表于|發表於|发布于|發佈於|发布时间|發佈時間|发表时间|發表時間|发布日期|發佈日期|"
    r"更新时间|Posted on|Published)\s*[:：]?|(?:时间|時間|(?<!出生)日期)\s*[:：])"
    r"\s*((?:[0-9０-９]|今|昨|前天|刚|剛).{3,39})"
)
_DATEISH_ATTR = re.compile(
    r"(?:^|[-_\s])(?:pub|post|publish|release|create|art|article|news|content)?[-_]?"
    r"(?:time|date|datetime|tm)(?:$|[-_\s\d])|pubtime|pubdate|ptime|posttime|"
    r"(?:^|[-_\s])(?:info|meta|source|byline|attr|authi)(?:$|[-_\s])",
    re.IGNORECASE,
)
_URL_DATE_RES = (
    re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_]?([01]\d)[-/_]?([0-3]\d)(?!\d)"),
    re.compile(r"/((?:19|20)\d{2})[-/_]?([01]?\d)/([0-3]?\d)/"),
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head"})
_HEADLINE_LINK = 8
# "2021年10月7日 星期四": the today-banner of a page header (often written by a script).
_WEEKDAY_AFTER = re.compile(r"\s*(?:星期|礼拜|周)[一二三四五六日天]")
_CHROME_RE = re.compile(r"(?:^|[-_\s])(?:header|nav|top|topbar|footer|foot|copyright|"
                        r"comment|reply|related|recommend|sidebar|side)(?:$|[-_\s])", re.I)


def _attr_key(el: HtmlElement) -> str:
    return " ".join(filter(None, (el.get("class"), el.get("id"))))


def _meta_candidates(tree: HtmlElement) -> list[str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop")
               or meta.get("http-equiv") or "").strip().lower()
        content = meta.get("content")
        if key in _META_KEYS and content and key not in found:
            found[key] = content
    return [found[k] for k in _META_KEYS if k in found]


def _structured_candidates(tree: HtmlElement) -> list[str]:
    out: list[str] = []
    scripts = [script.text for script in tree.iter("script") if script.text]
    for text in scripts:
        out.extend(_JSONLD_RE.findall(text))
    for el in tree.iter():
        if isinstance(el.tag, str) and el.get("itemprop", "").lower() in (
            "datepublished", "datecreated"
        ):
            out.append(el.get("content") or el.get("datetime") or el.text_content())
    # A script that names many different publish dates is a list (related items, cited
    # sources), not this page's metadata: taking its first entry would be a guess.
    scripted = [found for text in scripts for found in _SCRIPT_DATE_RE.findall(text)]
    days = {day for found in scripted for day in _DAY_RE.findall(found)}
    if len(days) <= _MAX_SCRIPT_DAYS:
        out.extend(scripted)
    return out


def _modified_candidates(tree: HtmlElement) -> list[str]:
    """Last-modified stamps: a weaker stand-in when nothing states the publish date."""
    found: list[str] = []
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in _MODIFIED_KEYS and el.get("content"):
            found.append(el.get("content"))
    return found


def _in_chrome(el: HtmlElement) -> bool:
    """Page header/footer/comments print today's date or other items' dates."""
    for anc in el.iterancestors():
        if anc.tag in ("header", "footer", "nav", "aside") or _CHROME_RE.search(_attr_key(anc)):
            return True
    return False


def _in_link_list(el: HtmlElement) -> bool:
    """A list item that links to another story (热帖, 相关新闻, 最新文章): its date is that
    story's. A headline-length link tells it from a list of the article's own facts."""
    item = el if el.tag == "li" else next(el.iterancestors("li"), None)
    return item is not None and any(
        len("".join(a.text_content().split())) >= _HEADLINE_LINK for a in item.iter("a"))


def _element_candidates(tree: HtmlElement, anchor: HtmlElement | None) -> list[str]:
    """Short texts of date-like elements; those after the article title come first."""
    after: list[str] = []
    before: list[str] = []
    passed = anchor is None
    for el in tree.iter():
        if el is anchor:
            passed = True
            continue
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            continue
        key = _attr_key(el)
        stamp = next((v for k, v in el.attrib.items()
                      if k.startswith("data-") and ("time" in k or "date" in k)), None)
        if el.tag != "time" and not (key and _DATEISH_ATTR.search(key)) and stamp is None:
            continue
        stamp = stamp or el.get("datetime")
        text = " ".join(el.text_content().split())
        if len(text) > 200 or _in_chrome(el) or _in_link_list(el):
            continue
        bucket = after if passed else before
        if stamp:
            bucket.append(stamp)
        if text:
            bucket.append(text)
    return after + before


def _labelled_candidates(text: str) -> list[str]:
    return [m.group(1) for m in _LABEL_RE.finditer(text)][:5]


def _url_candidates(url: str | None) -> list[str]:
    if not url:
        return []
    path = url.split("?", 1)[0].split("//", 1)[-1]
    out: list[str] = []
    for pattern in _URL_DATE_RES:
        for y, m, d in pattern.findall(path):
            out.append(f"{y}-{int(m):02d}-{int(d):02d}")
    return out


def _htmldate(html: str | None, url: str | None, now: datetime) -> list[str]:
    """htmldate's guess from its own heuristics: a last resort after ours."""
    if not html:
        return []
    try:
        found = htmldate.find_date(html, url=url, extensive_search=_HTMLDATE_EXTENSIVE,
                                   original_date=True, max_date=now.strftime("%Y-%m-%d"))
    except Exception:  # noqa: BLE001 - a library failure must not lose the page
        return []
    # Given only a year (a copyright line, or digits in a file hash: "chunk-abb1996b.css"),
    # htmldate reports 1 January of it; that is no publish date.
    if not found or found.endswith("-01-01"):
        return []
    return [found]


def find_publish_date(doc: HtmlElement | str, now: datetime, url: str | None = None,
                      anchor: HtmlElement | None = None,
                      html: str | None = None) -> datetime | None:
    """Best publish date of a page: first plausible candidate in priority order.

    ``anchor`` is the article title element if the caller already found it; dates printed
    after it are the article's own, dates before it are usually site chrome.
    """
    if isinstance(doc, str):
        html = html or doc
    tree = doc if isinstance(doc, HtmlElement) else parse_html(doc)
    if tree is None:
        return None
    now = _now_sh(now)
    if anchor is None:
        anchor = find_title_element(tree)
    body_text = visible_text_after(tree, anchor, limit=3000)

    def candidates() -> Iterator[str]:
        yield from _meta_candidates(tree)
        yield from _structured_candidates(tree)
        yield from _labelled_candidates(body_text)
        yield from _element_candidates(tree, anchor)
        yield from _url_candidates(url)
        yield from _modified_candidates(tree)
        # Last resort: the first full date in the text right after the title.
        yield from (m.group(0) for m in _YMD.finditer(body_text)
                    if not _WEEKDAY_AFTER.match(body_text, m.end()))
        yield from _htmldate(html, url, now)

    # A date without its year (09-30 22:46) or a relative one (昨天) is resolved against the
    # fetch time, which is wrong for an old page. A dated candidate further down with the
    # same month and day (a modified stamp, a script variable) fixes the year; with none,
    # the first reading stands.
    weak: datetime | None = None
    for candidate in candidates():
        dt = parse_date(candidate, now)
        if dt is None:
            continue
        if not _has_year(candidate):
            weak = weak or dt
        elif weak is None:
            return dt
        elif (dt.month, dt.day) == (weak.month, weak.day):
            return dt if dt.timetz().replace(tzinfo=None) != time(0) else dt.replace(
                hour=weak.hour, minute=weak.minute, second=weak.second)
    return weak


def _has_year(s: str) -> bool:
    text = _normalise(s)
    return bool(_TIMESTAMP.match(text) or _YMD.search(text) or _COMPACT.search(text))
