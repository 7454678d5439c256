"""The edge trimmer (crawlers/extraction/trim.py) on small inline texts."""

from __future__ import annotations

import pytest

from crawlers.extraction.text import drop_headline, prose_score
from crawlers.extraction.trim import is_furniture, is_notice, tidy_lines, trim_edges

PROSE = "记者从市应急管理局获悉，今年以来全市共开展安全生产检查一千二百余次，整改隐患三百多处。"


@pytest.mark.parametrize("line", [
    "热门推荐", "收起", "展开全文", "收藏", "评论(15)", "评论（0）", "我要跟帖", "已输入0字",
    "分享到：", "请使用浏览器分享功能进行分享", "首页 > 新闻 > 正文",
    "> 科技湃", "您所在的位置：", "违法和不良信息举报电话：010-12345678",
    "举报邮箱：jubao@example.com", "Copyright © 2019 某某网 版权所有", "京ICP备12345678号",
    "小编最近文章", "返回网站首页，查看更多", "0 / 0", "12", "文章不错，点个赞吧",
    "更多猛料！欢迎扫描左方二维码关注我们的官方微信", "|<<1234下一页>>|",
    "特别声明：以上内容为自媒体平台用户上传并发布，本平台仅提供信息存储服务。",
    "推荐阅读：县交警：8月1日起，专项整治电动车违法行为", "【相关新闻】：某地召开会议",
    "发布时间：2024年05月05日 | 字体放大 | 字体缩小",
])
def test_furniture_lines(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize("line", [
    PROSE, "责任编辑：张三", "来源：人民日报", "2017", "感谢分享", "赞一个", "赞",
    "天津创业环保股份有限公司董事会",
    # Prompt words in a line longer than a widget's: a sentence of the article.
    "他呼吁市民扫描社区公告栏上的二维码，在线登记疫苗接种意向，社区工作人员将在三个工作日"
    "内电话回访，确认接种的时间和地点，并提醒老年人由家属陪同前往接种点。",
    "欢迎关注微信公众号：某某技术，第一时间掌握最新的技术文章！",
    "相关新闻显示，该项目已于去年年底开工建设。",
])
def test_not_furniture(line: str) -> None:
    assert not is_furniture(line)


def test_trims_both_edges_and_stops_at_prose() -> None:
    text = "\n".join(["首页 > 新闻 > 正文", PROSE, "收藏", PROSE, "责任编辑：张三", "热门推荐",
                      "收起", "举报邮箱：jubao@example.com"])
    assert trim_edges(text) == "\n".join([PROSE, "收藏", PROSE, "责任编辑：张三"])


def test_short_unknown_line_between_footer_lines_goes_with_them() -> None:
    text = "\n".join([PROSE, "违法和不良信息举报电话：010-12345678", "新媒体实验室",
                      "举报邮箱：jubao@example.com"])
    assert trim_edges(text) == PROSE


def test_short_line_before_prose_stays_when_no_furniture_follows_it() -> None:
    text = "\n".join(["县委召开常委会议", PROSE, "天津创业环保股份有限公司董事会"])
    assert trim_edges(text) == text


def test_byline_is_kept_and_stops_the_trim() -> None:
    text = "\n".join([PROSE, "编辑：李四", "扫码关注", "微信公众号"])
    assert trim_edges(text) == "\n".join([PROSE, "编辑：李四"])


def test_next_story_after_the_editor_line_is_cut() -> None:
    teaser = "港铁公司表示，8月31日晚因故启动疏散程序，其后恢复服务，并已向乘客致歉。"
    text = "\n".join([PROSE] * 6 + ["责任编辑：张三", "另一则新闻的标题", teaser])
    assert trim_edges(text) == "\n".join([PROSE] * 6 + ["责任编辑：张三"])


def test_editor_line_early_in_a_long_text_cuts_nothing() -> None:
    text = "\n".join(["责任编辑：张三", *[PROSE] * 6])
    assert trim_edges(text) == text


def test_alternating_counters_are_not_eaten_without_limit() -> None:
    replies = [x for i in range(8) for x in (f"回复{i}号楼", "3")]
    text = "\n".join([PROSE, *replies])
    kept = trim_edges(text).split("\n")
    assert kept[:6] == [PROSE, *replies[:5]]


def test_empty_text() -> None:
    assert trim_edges("") == ""
    assert tidy_lines("") == ""


def test_tidy_lines_strips_and_collapses_blank_runs() -> None:
    text = "\n  \n\t首段\u3000\n\n \n\n\u3000\u3000次段 \n   \n"
    assert tidy_lines(text) == "首段\n\n次段"



def test_article_headline_line_is_dropped_but_not_a_short_one() -> None:
    title = "县城南关街道道路施工引居民不满"
    assert drop_headline(f"{title}\n{PROSE}", title) == PROSE
    assert drop_headline(f"{title}\n\n{PROSE}", title) == PROSE
    assert drop_headline(title, title) == title  # nothing else: keep what there is
    assert drop_headline(f"夜雨\n{PROSE}", "夜雨") == f"夜雨\n{PROSE}"
    assert drop_headline(f"{PROSE}\n{title}", title) == f"{PROSE}\n{title}"


def test_headline_block_kicker_goes_subtitle_and_labelled_lines_stay() -> None:
    title = "在新时代中部地区崛起中争先出彩"
    kicker, subtitle = "河南着力培育新动能塑造新优势", "开栏的话"
    assert drop_headline(f"{kicker}\n{title}\n{subtitle}\n{PROSE}", title) == \
        f"{subtitle}\n{PROSE}"
    # The page's headline a word longer than <title>'s.
    assert drop_headline(f"{title}强调\n{PROSE}", title) == PROSE
    # "原标题：..." is a line of the text, not the headline.
    assert drop_headline(f"原标题：{title}\n{PROSE}", title) == f"原标题：{title}\n{PROSE}"
    # The headline only counts before the first paragraph.
    assert drop_headline(f"{PROSE}\n{title}\n{PROSE}", title) == \
        f"{PROSE}\n{title}\n{PROSE}"


def test_a_disclaimer_is_not_prose() -> None:
    notice = ("【免责声明】本文仅代表作者本人观点，与本网无关。本网站对文中陈述、观点判断保持"
              "中立，请读者仅作参考，并请自行承担全部责任。")
    assert is_notice(notice) and not is_notice(PROSE)
    assert prose_score(notice) < 0 < prose_score(PROSE)
