import pytest

from crawlers.extraction.encoding import decode_html, normalize_encoding

SIMPLIFIED = "关于进一步做好农村人居环境整治工作的通知，各乡镇人民政府、县直各有关单位："
TRADITIONAL = "臺灣經濟部今天公布統計資料，出口訂單連續三個月成長，顯示景氣持續回溫。"


def page(charset: str, text: str) -> str:
    return f'<html><head><meta charset="{charset}"><title>t</title></head><body><p>{text}</p>' \
           f"<p>{text}</p></body></html>"


def test_gbk_page_mislabelled_as_utf8() -> None:
    body = page("utf-8", SIMPLIFIED).encode("gbk")
    text, enc = decode_html(body, header_encoding="utf-8")
    assert enc == "gb18030"
    assert SIMPLIFIED in text


def test_utf8_page_with_stale_gb2312_meta() -> None:
    text, enc = decode_html(page("gb2312", SIMPLIFIED).encode("utf-8"))
    assert (enc, SIMPLIFIED in text) == ("utf-8", True)


def test_gb2312_label_with_characters_outside_gb2312() -> None:
    # 镕 / 堃 / 喆 are GBK-only: a strict GB2312 decoder would mangle them.
    extra = "朱镕基、王堃、陶喆"
    body = page("gb2312", SIMPLIFIED + extra).encode("gbk")
    text, enc = decode_html(body, "gb2312")
    assert enc == "gb18030"
    assert extra in text


def test_big5_page_declared_and_undeclared() -> None:
    body = page("big5", TRADITIONAL).encode("big5")
    assert decode_html(body) == (body.decode("big5"), "big5")
    undeclared = body.replace(b'<meta charset="big5">', b"")
    text, enc = decode_html(undeclared)
    assert (enc, TRADITIONAL in text) == ("big5", True)


def test_gbk_without_any_declaration() -> None:
    body = page("x", SIMPLIFIED).replace('<meta charset="x">', "").encode("gbk")
    text, enc = decode_html(body)
    assert (enc, SIMPLIFIED in text) == ("gb18030", True)


def test_broken_bytes_do_not_crash() -> None:
    body = page("utf-8", SIMPLIFIED).encode("utf-8")
    broken = body[:60] + b"\xff\xfe\x80" + body[60:-20] + b"\xe4\xb8"
    text, enc = decode_html(broken, "utf-8")
    assert enc == "utf-8"
    assert SIMPLIFIED in text
    assert decode_html(b"") == ("", "utf-8")
    decode_html(bytes(range(256)) * 10)  # arbitrary garbage: any answer, no exception


@pytest.mark.parametrize(
    ("bom", "codec", "name"),
    [(b"\xef\xbb\xbf", "utf-8", "utf-8"), (b"\xff\xfe", "utf-16-le", "utf-16")],
)
def test_bom(bom: bytes, codec: str, name: str) -> None:
    text, enc = decode_html(bom + page("gbk", SIMPLIFIED).encode(codec), "gbk")
    assert (enc, SIMPLIFIED in text) == (name, True)


@pytest.mark.parametrize(
    ("label", "expected"),
    [("GB2312", "gb18030"), ("gbk", "gb18030"), ("UTF8", "utf-8"), ("Big5", "big5"),
     ("big5-hkscs", "big5"), ("bogus-charset", None), (None, None)],
)
def test_normalize_encoding(label: str | None, expected: str | None) -> None:
    assert normalize_encoding(label) == expected
