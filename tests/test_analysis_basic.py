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


# --- traditional characters (reposts from HK/TW-style accounts, Big5 pages) ---

TRAD_TITLE = "河口鎮自來水停了三天"
TRAD_TEXT = "河口鎮河口水廠的自來水停了三天，沒人管，希望儘快解決。"
SIMP_TITLE = "河口镇自来水停了三天"
SIMP_TEXT = "河口镇河口水厂的自来水停了三天，没人管，希望尽快解决。"


@pytest.mark.parametrize(("text", "places", "townships", "ambiguous"), [
    ("河口鎮自來水停了三天", ["河口镇"], ["河口镇"], []),
    ("河口水廠的水發黃", ["河口水厂"], ["河口镇"], []),
    ("柳林鄉新民村的路燈壞了", ["柳林乡", "新民村"], ["柳林乡"], []),
    ("新民村的路燈壞了", [], [], ["新民村"]),  # still never guessed
])
def test_traditional_text_names_gazetteer_places(text, places, townships, ambiguous):
    match = PlaceIndex(GAZ).find([text])
    assert (match.places, match.townships, match.ambiguous) == (places, townships, ambiguous)


def test_a_place_elsewhere_written_in_traditional_is_still_elsewhere():
    assert PlaceIndex(ELSEWHERE).find(["黃河口鎮發生洪水"]).townships == []
    # and a gazetteer written in traditional characters matches simplified text
    trad = Gazetteer.model_validate({"county": "青禾縣", "townships": [
        {"name": "河口鎮", "places": [{"name": "河口水廠"}]}], "other_places": ["黃河口鎮"]})
    match = PlaceIndex(trad).find(["河口水厂停水，黄河口镇没事"])
    # reported as the gazetteer writes them
    assert (match.places, match.townships) == (["河口水廠"], ["河口鎮"])


def test_a_traditional_post_is_analysed_as_its_simplified_form():
    analyzer = Analyzer(GAZ)
    trad = analyzer.features(TRAD_TITLE, TRAD_TEXT)
    simp = analyzer.features(SIMP_TITLE, SIMP_TEXT)
    assert trad.places == ["河口镇", "河口水厂"] and trad.townships == ["河口镇"]
    assert "自来水" in trad.keywords and "河口水厂" in trad.keywords
    assert (trad.tokens, trad.keywords, trad.sentiment, trad.complaint, trad.complaint_score,
            trad.category) == (simp.tokens, simp.keywords, simp.sentiment, simp.complaint,
                               simp.complaint_score, simp.category)
    assert (trad.signature == simp.signature).all()


def test_the_item_keeps_the_text_as_published():
    analyzer = Analyzer(GAZ)
    item = Item.from_url("http://x.test/t", source_id="s", source_kind=SourceKind.forum,
                         title=TRAD_TITLE, text=TRAD_TEXT, fetched_at=NOW)
    ai = analyzer.analyze(item)
    assert (ai.item.title, ai.item.text) == (TRAD_TITLE, TRAD_TEXT)
    assert ai.analysis.townships == ["河口镇"] and "自来水" in ai.analysis.tokens
    assert analyzer.events.record(ai.analysis.event_id).title == TRAD_TITLE  # as published


def test_a_traditional_repost_joins_the_simplified_original_even_after_a_restart():
    first = Analyzer(GAZ)
    f = first.features(TRAD_TITLE, TRAD_TEXT)
    event_id = first.assign_event("t1", TRAD_TITLE, NOW, f)
    assert first.assign_event("s1", SIMP_TITLE, NOW, first.features(SIMP_TITLE, SIMP_TEXT)) \
        == event_id
    # A new process restores the stored (as published) item and continues its event; no
    # keywords stored, so that only the near-copy signature can join them.
    later = Analyzer(GAZ)
    later.warm([{"id": "t1", "event_id": event_id, "title": TRAD_TITLE, "text": TRAD_TEXT,
                 "published_at": NOW.isoformat(), "keywords": [], "townships": [],
                 "sentiment_label": f.sentiment_label.value, "category": f.category}])
    repost = "转发：" + SIMP_TEXT
    assert later.assign_event("s2", SIMP_TITLE, NOW, later.features(SIMP_TITLE, repost)) \
        == event_id


def test_simplified_text_with_characters_traditional_text_also_uses_is_unchanged():
    # 乾隆/乾城, 著名, 覆盖, 其余, 狼藉, 哪吒, 大阪: simplified words whose characters the
    # traditional map would convert.
    text = "乾城二期在乾隆年间是著名的去处，覆盖其余地段，一片狼藉，哪吒去了大阪"
    analyzer = Analyzer(GAZ)
    tokens = analyzer.segmenter.tokens(text)
    f = analyzer.features("", text)
    assert f.tokens == tokens and "".join(f.tokens) == text.replace("，", "")
    assert {"著名", "覆盖", "其余", "哪吒", "大阪"} <= set(f.tokens)
