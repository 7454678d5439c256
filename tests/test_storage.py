"""Items index against the real node: round trip, exact-substring phrases, idempotence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import NOW, analyzed

from storage.items import MAPPING_VERSION


def test_index_and_search_round_trip_chinese(store):
    docs = [
        analyzed("http://a.test/1", "河口镇自来水发黄", "河口村的自来水发黄还有异味，没人管。",
                 tokens=["河口镇", "自来水", "发黄", "河口村", "异味", "没人管"], sentiment=0.1),
        analyzed("http://a.test/2", "夜市开市", "人民广场夜市正式开市，市民很高兴。",
                 tokens=["人民广场", "夜市", "开市", "市民", "高兴"], sentiment=0.9),
    ]
    result = store.index(docs, NOW, refresh=True)
    assert result.indexed == 2 and not result.failed
    hits = store.search("自来水")
    assert [h["title"] for h in hits] == ["河口镇自来水发黄"]
    assert hits[0]["sentiment_label"] == "negative"
    assert hits[0]["tokens"].split() == ["河口镇", "自来水", "发黄", "河口村", "异味", "没人管"]
    assert store.search("-自来水 市") and all("自来水" not in h["title"]
                                              for h in store.search("-自来水"))
    assert {h["title"] for h in store.search("自来水|夜市")} == {"河口镇自来水发黄", "夜市开市"}


def test_phrase_is_exact_substring_even_for_unknown_words(store):
    # 垚鑫嘉苑 is no dictionary word: jieba splits it, the character field still matches.
    doc = analyzed("http://a.test/3", "小区停电", "垚鑫嘉苑小区昨晚停电六个小时。",
                   tokens=["垚", "鑫", "嘉苑", "小区", "昨晚", "停电"])
    store.index([doc], NOW, refresh=True)
    assert [h["id"] for h in store.search("垚鑫嘉苑")] == [doc.item.id]
    # Same characters, other order: no match, because a phrase is an exact substring.
    assert store.search("鑫垚嘉苑") == []


def test_same_item_indexed_twice_is_one_document(store):
    first = analyzed("http://a.test/4?utm_source=x", "标题", "正文一", sentiment=0.2)
    again = analyzed("http://A.TEST/4#comments", "标题", "正文二（更新）", sentiment=0.3)
    assert first.item.id == again.item.id  # canonical URL → same id
    store.index([first], NOW, refresh=True)
    store.index([again], NOW, refresh=True)
    assert store.count() == 1
    assert store.get(first.item.id)["text"] == "正文二（更新）"


def test_an_item_whose_month_moves_stays_one_document(store):
    # An undated thread is placed by its fetch time; re-fetched next month (its replies
    # grew) it must not become a second copy that search and detection count twice.
    first = analyzed("http://a.test/7", "无日期的帖子", "第一次抓取")
    first = first.model_copy(update={"item": first.item.model_copy(update={
        "published_at": None, "fetched_at": NOW - timedelta(days=40)})})
    again = analyzed("http://a.test/7", "无日期的帖子", "下月再抓，回复更多了")
    again = again.model_copy(update={"item": again.item.model_copy(update={
        "published_at": None})})
    store.index([first], NOW, refresh=True)
    store.index([again], NOW, refresh=True)
    assert store.count() == 1 and store.get(first.item.id)["text"] == "下月再抓，回复更多了"
    assert store.placement([first.item.id]) == {
        first.item.id: f"{store.prefix}-items-v{MAPPING_VERSION}-2026.10"}
    # Relabelling an event finds it where it is, not where its time now points.
    assert store.relabel_event([(first.item.id, NOW)], "ev-merged").indexed == 1
    store.refresh()
    assert store.get(first.item.id)["event_id"] == "ev-merged"


def test_monthly_indices_behind_alias_and_filters(store):
    old = analyzed("http://a.test/5", "十月旧帖", "旧内容", source="bbs",
                   published=NOW - timedelta(days=40))
    new = analyzed("http://a.test/6", "十一月新帖", "新内容", source="news")
    store.index([old, new], NOW, refresh=True)
    names = set(store.es.indices.get_alias(name=store.alias))
    assert names == {f"{store.prefix}-items-v{MAPPING_VERSION}-2026.10",
                     f"{store.prefix}-items-v{MAPPING_VERSION}-2026.11"}
    assert [h["title"] for h in store.search("", since=NOW - timedelta(days=7))] == ["十一月新帖"]
    assert [h["title"] for h in store.search("", sources=["bbs"])] == ["十月旧帖"]


def test_author_is_kept_for_citation_but_not_searchable(store):
    from yuqing.records import Item

    doc = analyzed("http://a.test/7", "通报", "正文")
    item = Item(**{**doc.item.model_dump(), "author": "张记者"})
    store.index([doc.model_copy(update={"item": item})], NOW, refresh=True)
    import pytest
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError, match="not indexed"):
        store.es.search(index=store.alias, query={"term": {"author": "张记者"}})
    assert store.get(doc.item.id)["author"] == "张记者"


def test_search_command_takes_dash_terms_as_exclusions(store, capsys):
    from yuqing.cli import main

    store.index([analyzed("http://a.test/y", "河口镇自来水发黄", "自来水发黄有异味。"),
                 analyzed("http://a.test/c", "城关镇自来水停供", "自来水明天停供半天。")],
                NOW, refresh=True)
    # As the README writes it: -发黄 is a term to exclude, not an unknown option.
    assert main(["search", "自来水", "-发黄"]) == 0
    out = capsys.readouterr()
    assert "城关镇自来水停供" in out.out and "发黄" not in out.out
    assert out.err.strip().endswith("1 hit")
    assert main(["search", "-发黄", "--days", "30", "自来水"]) == 0
    assert "城关镇自来水停供" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["search", "自来水", "--bogus"])
    assert exc.value.code == 2 and "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_a_transient_refusal_is_for_retry_not_a_rejection(store):
    # A flood-stage disk block refuses every write with 429 until space is freed.
    doc = analyzed("http://a.test/9", "标题", "正文")
    store.index([doc], NOW, refresh=True)
    index = store.index_for(doc.item.published_at)
    block = "index.blocks.read_only_allow_delete"
    store.es.indices.put_settings(index=index, settings={block: True})
    try:
        result = store.index([doc, analyzed("http://a.test/10", "标题", "正文")], NOW)
    finally:
        store.es.indices.put_settings(index=index, settings={block: None})
    assert result.failed == [] and result.indexed == 0
    assert sorted(i for i, _ in result.retry) == sorted(
        [doc.item.id, analyzed("http://a.test/10", "标题", "正文").item.id])
    assert all("cluster_block_exception" in reason for _, reason in result.retry)


def test_two_fetches_written_before_a_refresh_stay_one_document(store):
    # The spool replays two fetches of one thread back to back: the first dated from "昨天"
    # (last month), the second with its exact date (this month). A search does not see the
    # first write yet, and the second must not become a copy in another monthly index.
    first = analyzed("http://a.test/11", "跨月的帖子", "第一次抓取",
                     published=NOW - timedelta(days=30))
    later = analyzed("http://a.test/11", "跨月的帖子", "再次抓取，日期更准")
    later = later.model_copy(update={"item": later.item.model_copy(update={
        "fetched_at": NOW + timedelta(minutes=30)})})
    store.index([first], NOW)
    store.index([later], NOW)
    store.refresh()
    assert store.count() == 1 and store.get(first.item.id)["text"] == "再次抓取，日期更准"
    # And the same within one batch.
    other = analyzed("http://a.test/12", "跨月", "一", published=NOW - timedelta(days=30))
    other_later = analyzed("http://a.test/12", "跨月", "二")
    other_later = other_later.model_copy(update={"item": other_later.item.model_copy(
        update={"fetched_at": NOW + timedelta(minutes=30)})})
    store.index([other, other_later], NOW, refresh=True)
    assert store.count() == 2 and store.get(other.item.id)["text"] == "二"
