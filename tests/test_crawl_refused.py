"""The cluster refuses writes for now (its disk reached the flood stage: every index gets a
read-only block and each write is answered 429): a crawl keeps those items in the spool,
not in the quarantine, and the next crawl stores them once the block is lifted."""

from __future__ import annotations

from crawling import crawl, summary, write_config
from helpers import NOW, analyzed
from sites import article, news_list

from yuqing.demo.server import LocalSite
from yuqing.records import item_id_for

N = 3
BLOCK = "index.blocks.read_only_allow_delete"


def test_items_refused_for_now_are_spooled_and_stored_next_run(tmp_path, prefix, store,
                                                              es_url):
    env = {"YUQING_ES_URL": es_url, "YUQING_INDEX_PREFIX": prefix}
    first = analyzed("http://other.test/1", "已有", "本月已有的文档")
    store.index([first], NOW, refresh=True)
    month = store.index_for(first.item.published_at)
    with LocalSite() as site:
        rows = [(f"/news/2026/11/1{i}/{700 + i}.html", f"第{i}条：石桥镇新民村道路维修",
                 f"2026-11-1{i}") for i in range(N)]
        for path, title, day in rows:
            site.add(path, article(title, f"{day} 09:00", [f"{title}。工程正在推进。"] * 2))
        site.add("/news/index.html", news_list(rows))
        cfg = write_config(tmp_path, [{
            "id": "news", "name": "新闻网", "template": "news", "kind": "news",
            "start_urls": [site.url("/news/index.html")]}])
        store.es.indices.put_settings(index=month, settings={BLOCK: True})
        try:
            out = summary(crawl(cfg, env=env))["news"]
        finally:
            store.es.indices.put_settings(index=month, settings={BLOCK: None})
        assert out["new"] == N and out["spooled"] == N and out["indexed"] == 0, out
        assert not list((tmp_path / "var" / "quarantine" / "items").glob("*.jsonl"))
        again = summary(crawl(cfg, env=env))["news"]
        assert again["new"] == 0
    store.refresh()
    ids = {h["id"] for h in store.search("石桥镇", size=10)}
    assert ids == {item_id_for(site.url(path)) for path, _, _ in rows}
    assert not list((tmp_path / "var" / "spool" / "items").glob("*.jsonl"))
