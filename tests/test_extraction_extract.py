import io
import json
from datetime import datetime

from crawlers.extraction import extract
from crawlers.extraction.cli import main
from crawlers.extraction.meta import clean_title
from yuqing.records import SHANGHAI

NOW = datetime(2024, 1, 10, 12, 0, tzinfo=SHANGHAI)
PARAGRAPH = ("近日，县城南关街道多名居民反映，小区门口的道路施工已经持续三个月，"
             "雨天积水严重，老人孩子出行十分不便。街道办事处表示，将督促施工单位加快进度，"
             "并在本周内完成临时排水设施的安装。")
PAGE = f"""<html><head><meta charset="gbk"><title>南关街道道路施工引居民不满_新浪网</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/n">新闻</a></div>
<h1>南关街道道路施工引居民不满</h1>
<div class="info">2023-11-18 14:56 来源：县融媒体中心 作者：李明</div>
<div class="content"><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></div>
<div class="footer">版权所有 ICP备案号</div></body></html>"""


def test_extract_article() -> None:
    page = extract(PAGE.encode("gbk"), "http://news.example.cn/a/1.html", fetched_at=NOW)
    assert page.encoding == "gb18030"
    assert page.title == "南关街道道路施工引居民不满"
    assert PARAGRAPH in page.text
    assert "版权所有" not in page.text and "首页" not in page.text
    assert page.published_at == datetime(2023, 11, 18, 14, 56, tzinfo=SHANGHAI)
    assert page.author == "李明"


def test_listing_page_is_flagged_and_article_is_not() -> None:
    rows = "".join(f'<li><a href="/n/{i}.html">县里第{i}条新闻的标题比较长一些</a>'
                   f"<span>2023-11-{10 + i}</span></li>" for i in range(8))
    index = f"<html><body><h1>本地新闻</h1><ul>{rows}</ul></body></html>"
    assert extract(index.encode(), fetched_at=NOW).listing
    assert not extract(PAGE.encode("gbk"), fetched_at=NOW).listing


def test_source_is_not_author() -> None:
    html = PAGE.replace(" 作者：李明", "")
    assert extract(html.encode("gbk"), fetched_at=NOW).author is None


def test_title_suffixes() -> None:
    assert clean_title("标题内容_滚动新闻_新浪网") == "标题内容"
    assert clean_title("标题内容-人民网") == "标题内容"
    assert clean_title("2023-2024赛季总结 | 澎湃新闻") == "2023-2024赛季总结"


def test_empty_page() -> None:
    page = extract(b"", fetched_at=NOW)
    assert (page.title, page.text, page.published_at, page.author) == ("", "", None, None)


def test_cli_files_in_order_with_error(tmp_path) -> None:
    good = tmp_path / "a.html"
    good.write_bytes(PAGE.encode("gbk"))
    out, err = io.StringIO(), io.StringIO()
    code = main([str(good), str(tmp_path / "missing.html"), str(good), "--now",
                 "2024-01-10T12:00:00+08:00"], io.StringIO(), out, err)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code != 0
    assert [("error" in x) for x in lines] == [False, True, False]
    assert lines[0]["published_at"] == "2023-11-18T14:56:00+08:00"
    assert set(lines[0]) == {"title", "text", "published_at", "author", "encoding"}
    assert "missing.html" in err.getvalue()


def test_cli_stdin_jsonl(tmp_path) -> None:
    good = tmp_path / "a.html"
    good.write_bytes(PAGE.encode("gbk"))
    stdin = io.StringIO(json.dumps({"path": str(good), "url": "http://x.cn/2023/11/18/a"}) + "\n")
    out = io.StringIO()
    assert main([], stdin, out, io.StringIO()) == 0
    assert json.loads(out.getvalue())["title"] == "南关街道道路施工引居民不满"


def _stdin(monkeypatch, data: bytes) -> None:
    """A real byte stream behind sys.stdin, as a shell pipe gives."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_yuqing_extract_takes_options_before_and_after_files(tmp_path, monkeypatch,
                                                            capsys) -> None:
    from yuqing.cli import main as yuqing

    good = tmp_path / "a.html"
    good.write_bytes(PAGE.encode("gbk"))
    _stdin(monkeypatch, b"")
    assert yuqing(["extract", "--url", "http://x.cn/a", str(good)]) == 0
    assert yuqing(["extract", str(good), "--now", "2024-01-10T12:00:00+08:00"]) == 0
    first, second = _lines(capsys.readouterr().out)
    assert first == second and first["title"] == "南关街道道路施工引居民不满"


def test_yuqing_extract_reads_one_page_of_html_from_stdin(monkeypatch, capsys) -> None:
    from yuqing.cli import main as yuqing

    # The bytes as saved (GBK), not text: the encoding is detected from them.
    _stdin(monkeypatch, b"\n  " + PAGE.encode("gbk"))
    assert yuqing(["extract", "--url", "http://x.cn/a", "--now", "2024-01-10T12:00"]) == 0
    [page] = _lines(capsys.readouterr().out)
    assert page["title"] == "南关街道道路施工引居民不满" and page["encoding"] == "gb18030"
    _stdin(monkeypatch, PAGE.encode("gbk"))
    assert yuqing(["extract", "-"]) == 0
    assert _lines(capsys.readouterr().out)[0]["author"] == "李明"


def test_yuqing_extract_json_lines_from_stdin_default_to_url(tmp_path, monkeypatch,
                                                             capsys) -> None:
    from yuqing.cli import main as yuqing

    good = tmp_path / "a.html"
    good.write_bytes(PAGE.encode("gbk"))
    requests = f'\n{{"path": "{good}"}}\n{{"path": "{tmp_path / "missing.html"}"}}\nnot json\n'
    _stdin(monkeypatch, requests.encode())
    assert yuqing(["extract", "--url", "http://x.cn/a"]) == 1
    out = capsys.readouterr()
    lines = _lines(out.out)
    assert [("error" in x) for x in lines] == [False, True, True]
    assert "<stdin line 4>: bad JSON request" in out.err


def test_yuqing_extract_help_and_a_bad_now(capsys) -> None:
    import pytest

    from yuqing.cli import main as yuqing

    with pytest.raises(SystemExit) as exc:
        yuqing(["extract", "--help"])
    assert exc.value.code == 0
    assert "--url URL" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        yuqing(["extract", "--now", "soon", "a.html"])
    assert exc.value.code == 2
    assert "argument --now: 'soon' is not an ISO-8601 time" in capsys.readouterr().err


def test_yuqing_extract_keeps_trafilatura_warnings_off_stderr(tmp_path) -> None:
    import subprocess
    import sys

    # A list page: trafilatura finds no article in it and logs "discarding data".
    links = "".join(f"<li><a href='/a{i}.html'>新闻标题第{i}条</a></li>" for i in range(50))
    page = tmp_path / "list.html"
    page.write_text(f"<html><body><ul>{links}</ul></body></html>", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "yuqing.cli", "extract", "--url",
                           "http://x.cn/list", str(page)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["encoding"] == "utf-8"
    assert "trafilatura" not in proc.stderr and "WARNING" not in proc.stderr


def test_included_header_with_its_own_end_tags_does_not_end_the_page() -> None:
    # Server-side includes paste a whole header document, </html> and all, before the
    # article; libxml2 would drop everything after it.
    page = PAGE.replace('<div class="nav">',
                        '<div class="nav">头部</div></body></html><div class="nav">')
    got = extract(page.encode("utf-8"), None, fetched_at=NOW)
    assert PARAGRAPH in got.text
    assert got.title == "南关街道道路施工引居民不满"


def test_title_is_the_headline_not_the_site_logo_heading() -> None:
    page = ('<html><head><title>山西品牌丝路行正式启动 - 山西省人民政府门户网站</title></head>'
            '<body><h1>山西省人民政府网站</h1><h2>山西品牌丝路行正式启动</h2>'
            f'<div class="content"><p>{PARAGRAPH}</p></div></body></html>')
    assert extract(page, None, fetched_at=NOW).title == "山西品牌丝路行正式启动"


def test_title_from_a_title_block_and_the_government_article_title_meta() -> None:
    page = ('<html><head><title>居民反映道路积水问题 东区办事处_中山网</title>'
            '<meta name="ArticleTitle" content="居民反映道路积水问题"></head><body>'
            '<div class="share-title" style="display:none">居民反映道路积水问题 东区办事处</div>'
            '<span class="Title"><b>居民反映道路积水问题</b></span>'
            f'<div class="content"><p>{PARAGRAPH}</p></div></body></html>')
    assert extract(page, None, fetched_at=NOW).title == "居民反映道路积水问题"


def test_yuqing_extract_a_request_line_not_in_utf8_fails_alone(tmp_path, monkeypatch,
                                                               capsys) -> None:
    from yuqing.cli import main as yuqing

    good = tmp_path / "a.html"
    good.write_bytes(PAGE.encode("gbk"))
    # A path listed in GBK (a legacy share): that line is an error line of its own, the
    # lines around it are still extracted, in order.
    request = json.dumps({"path": str(good)}).encode()
    gbk_path = b'{"path": "' + str(tmp_path / "南关.html").encode("gbk") + b'"}'
    _stdin(monkeypatch, b"\n".join([request, gbk_path, request]) + b"\n")
    assert yuqing(["extract", "--now", "2024-01-10T12:00"]) == 1
    out = capsys.readouterr()
    first, bad, last = _lines(out.out)
    assert first == last and first["title"] == "南关街道道路施工引居民不满"
    assert bad["path"] == "<stdin line 2>" and "not UTF-8" in bad["error"]
    assert "<stdin line 2>: bad JSON request: not UTF-8" in out.err


def test_yuqing_extract_json_lines_after_a_utf8_bom(tmp_path, monkeypatch, capsys) -> None:
    from yuqing.cli import main as yuqing

    good = tmp_path / "a.html"
    good.write_bytes(PAGE.encode("gbk"))
    # Windows tools write a BOM first: still requests, not one page of HTML.
    _stdin(monkeypatch, "\ufeff".encode() + json.dumps({"path": str(good)}).encode() + b"\n")
    assert yuqing(["extract", "--now", "2024-01-10T12:00"]) == 0
    [page] = _lines(capsys.readouterr().out)
    assert page["title"] == "南关街道道路施工引居民不满"
