"""Author (byline) validation in crawlers/extraction/meta.py on small inline pages."""

from __future__ import annotations

import pytest
from lxml.html import fromstring

from crawlers.extraction.meta import extract_author, plausible_meta_author

EMPTY = fromstring("<html><head></head><body><p>x</p></body></html>")


def _meta(author: str):
    return fromstring(f'<html><head><meta name="author" content="{author}"></head>'
                      "<body><p>x</p></body></html>")


@pytest.mark.parametrize(("header", "author"), [
    ("本报讯（记者叶婉）近日，项目在北京市青年宫正式启动。", "叶婉"),
    ("新华社记者邹多为、唐诗凝、丁乐\n9日，海关总署发布最新数据", "邹多为 唐诗凝 丁乐"),
    ("北京商报讯（记者 岳品瑜 董晗萱）5月20日，中国人民银行", "岳品瑜 董晗萱"),
    ("长江网10月4日讯（记者陈智 整合） 国庆中秋长假过半", "陈智"),
    ("本站讯（职工通讯员 李琴雯 刘会）为深入推进党建", "李琴雯 刘会"),
    ("文/栗思\n编辑/倪家宁", "栗思"),
    ("2023-11-18 14:56 来源：县融媒体中心 作者：李明", "李明"),
])
def test_real_bylines(header: str, author: str) -> None:
    assert extract_author(EMPTY, header, "") == author


@pytest.mark.parametrize("header", [
    # Byline words in running text: the capture is a verb or a sentence fragment.
    "华龙网-新重庆客户端记者从沙坪坝区公安分局了解到，9月7日",
    "苹果公司9日对记者表示，“我们调查了中国劳工观察的说法”",
    "记者获悉，本月伴随新机发售的芯片",
    "南都记者向江门警方了解到，在公安部的工作机制下",
    "扬子晚报记者采访了原作者的家人。",
    "记者首先前往视频拍摄的地点——浦东新区",
    "玩家记者版主长期招募ing",
    # 文 as the end of a name or word, not the 文/ label.
    "王文：中美贸易“持久战”，中国人的斗志被激发",
    "—— 正文：故事们 —— 第一章：月亮的传说",
    # Placeholders and organisations cut off at four characters.
    "时间：2019-09-25 作者：网络整理 阅读： 1644",
    "来源：本站原创 作者：医技药剂党支部 时间：2019年10月",
    # A photo credit names the photographer, not the author.
    "竞选总部发表胜选演讲。 新华社记者 李梦馨 摄 5月19日",
])
def test_not_bylines(header: str) -> None:
    assert extract_author(EMPTY, header, "") is None


def test_photo_credit_is_skipped_for_a_later_byline() -> None:
    header = "（新华社记者 李梦馨 摄）\n新华社圣多明各5月19日电（记者王小明）多米尼加"
    assert extract_author(EMPTY, header, "") == "王小明"


@pytest.mark.parametrize(("value", "expected"), [
    ("李明", "李明"), ("Jane Doe", "Jane Doe"), ("104363", None), ("2909", None),
    ("sina_mobile", None), ("CSDN.NET", None), ("name, email@gmail.com", None),
    ("Discuz! Team and Comsenz UI Team", None), ("新京报", None), ("", None), (None, None),
])
def test_meta_author(value: str | None, expected: str | None) -> None:
    assert plausible_meta_author(value) == expected


def test_meta_author_used_only_when_plausible() -> None:
    assert extract_author(_meta("张三"), "", "") == "张三"
    assert extract_author(_meta("104363"), "", "") is None


@pytest.mark.parametrize(("body", "author"), [
    ("近日，一首儿歌被改编。\n……\n扬子晚报记者 张楠", "张楠"),
    ("温先生说，他一定会回来的。\n采写：南都见习记者 林子沛", "林子沛"),
    # A closing sentence is no sign-off, and a reporting verb no name.
    ("正文第一段。\n" + "工作人员" * 8 + "向记者介绍道。", None),
    ("正文第一段。\n他对记者称，工程将于年底完工。", None),
])
def test_sign_off_byline(body: str, author: str | None) -> None:
    text = "县里召开会议部署秋冬季森林防火工作，要求各乡镇落实责任。" * 12 + "\n" + body
    assert extract_author(EMPTY, "", text) == author
