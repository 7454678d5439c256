"""Pipeline basics: one segmentation feeds every stage; gazetteer places; ambiguity."""

from __future__ import annotations

import pytest
from helpers import NOW

from analysis.keywords import tfidf_keywords
from analysis.pipeline import Analyzer
from analysis.places import PlaceIndex
from yuqing.config import Gazetteer
from yuqing.records import Item, SourceKind

GAZ = Gazetteer.model_validate({
    "county": "青禾县",
    "townships": [
        {"name": "石桥镇", "places": [{"name": "新民村"}, {"name": "石桥中学"}]},
        {"name": "柳林乡", "aliases": ["柳林"], "places": [{"name": "新民村"}]},
        {"name": "河口镇", "places": [{"name": "河口水厂", "kind": "landmark"}]},
    ]})


@pytest.mark.parametrize(("text", "places", "townships", "ambiguous"), [
    ("河口水厂的水发黄", ["河口水厂"], ["河口镇"], []),
    ("新民村的路灯坏了", [], [], ["新民村"]),  # in two townships: never guessed
    ("柳林乡新民村的路灯坏了", ["柳林乡", "新民村"], ["柳林乡"], []),
    ("柳林新民村路灯", ["柳林乡", "新民村"], ["柳林乡"], []),  # alias names the township
    ("石桥中学门口堵车", ["石桥中学"], ["石桥镇"], []),
    ("县城夜市很热闹", [], [], []),
])
def test_places_resolve_to_grid_cells(text, places, townships, ambiguous):
    match = PlaceIndex(GAZ).find([text])
    assert (match.places, match.townships, match.ambiguous) == (places, townships, ambiguous)


ELSEWHERE = GAZ.model_copy(update={"other_places": ["黄河口镇"]})


@pytest.mark.parametrize(("text", "places", "townships"), [
    ("黄河口镇发生洪水", [], []),  # a town elsewhere whose name holds ours
    ("黄河口镇的洪水没有影响河口镇", ["河口镇"], ["河口镇"]),  # ours named too
    ("河口镇和黄河口镇", ["河口镇"], ["河口镇"]),
])
def test_a_place_elsewhere_that_holds_our_name_is_not_ours(text, places, townships):
    assert PlaceIndex(GAZ).find([text]).townships == ["河口镇"]  # unlisted: taken as ours
    match = PlaceIndex(ELSEWHERE).find([text])
    assert (match.places, match.townships, match.ambiguous) == (places, townships, [])


def test_a_place_elsewhere_stays_one_token_so_it_is_not_our_keyword():
    f = Analyzer(ELSEWHERE).features("黄河口镇发生洪水", "黄河口镇昨夜发生洪水，多户受灾。")
    assert "河口镇" not in f.tokens and "黄河口镇" in f.tokens
    assert "河口镇" not in f.keywords and f.townships == []


def test_gazetteer_words_stay_whole_in_tokens():
    analyzer = Analyzer(GAZ)
    tokens = analyzer.segmenter.tokens("河口水厂旁边的石桥中学")
    assert "河口水厂" in tokens and "石桥中学" in tokens


def test_analyze_item_uses_one_token_list():
    analyzer = Analyzer(GAZ)
    item = Item.from_url("http://x.test/1", source_id="s", source_kind=SourceKind.forum,
                         title="河口水厂的水发黄", text="河口水厂的自来水发黄，有异味，没人管。",
                         fetched_at=NOW)
    ai = analyzer.analyze(item)
    assert ai.analysis.tokens == analyzer.segmenter.tokens(f"{item.title}\n{item.text}")
    assert set(ai.analysis.keywords) <= set(ai.analysis.tokens)
    assert "河口水厂" in ai.analysis.keywords
    assert ai.analysis.townships == ["河口镇"]
    assert 0.0 <= ai.analysis.sentiment <= 1.0


def test_keywords_skip_stop_words_and_single_characters():
    kws = tfidf_keywords(["的", "了", "水", "自来水", "自来水", "发黄", "我们"], k=5)
    assert kws[0] == "自来水" and "的" not in kws and "水" not in kws and "我们" not in kws


def test_a_long_text_is_analysed_on_its_head_and_searched_whole_for_places():
    analyzer = Analyzer(GAZ, max_chars=1_000)
    head = "河口水厂的自来水发黄，有异味，拖了半年还没解决，没人管。" * 30  # 840 chars
    filler = "。".join(["今天天气晴朗，街上行人不多"] * 100)
    text = head + filler + "另外石桥中学门口的排水沟堵塞发臭。"
    assert len(head) < 1_000 < len(text)
    f = analyzer.features("反映问题", text)
    assert f.truncated
    assert f.places == ["河口水厂", "石桥中学"]  # the tail's place still routes the item
    assert f.townships == ["河口镇", "石桥镇"]
    assert "排水沟" not in f.tokens and "排水沟" not in f.keywords  # past the cap: not read
    same = analyzer.features("反映问题", text[:1_000])
    assert not same.truncated
    assert (f.tokens, f.keywords, f.sentiment, f.complaint_score, f.category) == (
        same.tokens, same.keywords, same.sentiment, same.complaint_score, same.category)
    assert (f.signature == same.signature).all()
    assert not Analyzer(GAZ).features("反映问题", text).truncated  # default cap: 100,000


def test_posts_with_nothing_to_compare_each_found_their_own_event():
    analyzer = Analyzer(GAZ)

    def event(item_id: str, title: str, text: str) -> str:
        return analyzer.assign_event(item_id, title, NOW, analyzer.features(title, text))

    # emoji-only or image-only posts carry no letters: no shingles, so no near-copy
    empties = {event(f"e{i}", t, x) for i, (t, x) in enumerate(
        [("", ""), ("😡😡", "🙏"), ("", "！！！"), ("【】", "   ")])}
    assert len(empties) == 4
    # while a real repost still joins its original
    water = "河口水厂的自来水发黄，有异味，没人管。"
    assert event("w1", "水发黄", water) == event("w2", "水发黄", "转发：" + water)
