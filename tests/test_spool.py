"""The local spool: what waits on disk while Elasticsearch is down is replayed exactly once,
and one damaged file costs only its damaged lines, never the rest of the spool."""

from __future__ import annotations

from helpers import NOW, analyzed

from storage.spool import Spool


def _items(n: int, start: int = 0):
    return [analyzed(f"https://bbs.example.cn/t/{i}", f"第{i}帖：河口镇自来水发黄",
                     f"河口镇自来水发黄第{i}天，没人管。") for i in range(start, start + n)]


def test_truncated_last_line_costs_only_that_line(tmp_path, store):
    spool = Spool(tmp_path / "spool")
    spool.append(_items(3))
    spool.append(_items(2, start=3))
    first = spool.files()[0]
    # A crash mid-write (or a full disk) cut the last line inside a Chinese character.
    raw = first.read_bytes()
    cut = raw[:raw.rindex("没人管".encode()) + 1]
    first.write_bytes(cut)
    assert cut.decode("utf-8", errors="replace").endswith("\ufffd")

    result = spool.drain(store, NOW)
    store.refresh()
    assert store.count() == 4  # the two good lines of the damaged file and the next file
    assert result.indexed == 4 and result.unreadable == 1 and result.pending == 0
    assert not spool.files()
    kept = list((tmp_path / "spool").glob("*.bad"))
    assert len(kept) == 1  # the damaged file is kept aside for inspection


def test_replay_is_idempotent_and_stops_while_elasticsearch_is_down(tmp_path, store):
    from conftest import free_port
    from elasticsearch import Elasticsearch

    from storage import ItemStore

    spool = Spool(tmp_path / "spool")
    spool.append(_items(3))
    # Nothing listens there ($YUQING_ES_URL would override a configured host).
    down = ItemStore(Elasticsearch(f"http://127.0.0.1:{free_port()}", request_timeout=2),
                     store.prefix)
    result = spool.drain(down, NOW)
    assert result.indexed == 0 and result.pending == 3 and result.unavailable
    # The cluster is back; an earlier partial replay (same ids) must not double anything.
    store.index(_items(1), NOW)
    result = spool.drain(store, NOW)
    store.refresh()
    assert result.indexed == 3 and result.pending == 0 and not result.unavailable
    assert store.count() == 3


def test_two_crawls_starting_together_replay_the_spool_once(tmp_path, store, es_url):
    """Every crawl process replays the spool at start. One whose replay is slow (its
    cluster answers late) must not fail on files another process replayed meanwhile."""
    import threading

    from elasticsearch import Elasticsearch
    from esproxy import EsProxy

    from storage import ItemStore

    spool = Spool(tmp_path / "spool")
    spool.append(_items(3))
    spool.append(_items(2, start=3))
    proxy = EsProxy(es_url)
    slow = ItemStore(Elasticsearch(proxy.url, request_timeout=30), store.prefix)
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            outcome["first"] = Spool(tmp_path / "spool").drain(slow, NOW)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["first"] = exc

    try:
        proxy.mode = "hang"
        t = threading.Thread(target=first)
        t.start()
        while proxy.requests == 0 and t.is_alive():
            threading.Event().wait(0.05)
        assert proxy.requests > 0  # the first replay is waiting inside its request
        second = Spool(tmp_path / "spool").drain(store, NOW)
        proxy.mode = "up"
        t.join(60)
    finally:
        proxy.stop()
    assert not isinstance(outcome["first"], Exception), repr(outcome["first"])
    assert second.busy and second.indexed == 0
    assert outcome["first"].indexed == 5 and outcome["first"].pending == 0
    store.refresh()
    assert store.count() == 5
    assert not spool.files()


def test_a_replay_never_overwrites_a_later_fetch(tmp_path, store):
    """Spooled while the cluster was down, then re-fetched and indexed once it was back
    (replies grew): the next crawl's replay must not put the older copy back."""
    from datetime import timedelta

    spool = Spool(tmp_path / "spool")
    old = _items(1)[0]
    old = old.model_copy(update={"item": old.item.model_copy(update={
        "fetched_at": NOW - timedelta(hours=2)})})
    spool.append([old])
    newer = analyzed(old.item.url, old.item.title, "河口镇自来水发黄，已经三天了，回复更多")
    store.index([newer], NOW, refresh=True)
    result = spool.drain(store, NOW)
    store.refresh()
    assert result.stale == 1 and result.indexed == 0 and result.pending == 0
    assert store.get(old.item.id)["text"] == newer.item.text


def test_documents_refused_for_now_stay_in_the_spool(tmp_path, store):
    """A disk at its flood stage puts a read-only block on the index: every write is
    refused with 429. Those documents are not faulty: they wait, they are not quarantined."""
    spool = Spool(tmp_path / "spool")
    items = _items(2)
    store.index(items[:1], NOW, refresh=True)  # creates the month's index
    index = store.index_for(items[0].item.published_at)
    spool.append(items)
    spool.append(_items(1, start=5))
    block = "index.blocks.read_only_allow_delete"
    store.es.indices.put_settings(index=index, settings={block: True})
    try:
        result = spool.drain(store, NOW, quarantine=Spool(tmp_path / "quarantine"))
    finally:
        store.es.indices.put_settings(index=index, settings={block: None})
    assert result.quarantined == 0 and not Spool(tmp_path / "quarantine").files()
    assert result.unavailable and result.pending == 3  # the later file waits its turn
    result = spool.drain(store, NOW)
    store.refresh()
    assert result.indexed == 3 and result.pending == 0 and store.count() == 3


def test_every_rejected_document_is_logged_with_its_id_and_reason(tmp_path, store, caplog):
    # A view counter parsed from a garbled page overflows the integer field: the cluster
    # rejects those documents (mapping error). Each one is quarantined and logged by id.
    from yuqing.records import Metrics

    spool = Spool(tmp_path / "spool")
    bad = [ai.model_copy(update={"item": ai.item.model_copy(update={
        "metrics": Metrics(views=12345678901234)})}) for ai in _items(7)]
    spool.append([*bad, *_items(2, start=10)])
    with caplog.at_level("ERROR", logger="storage"):
        result = spool.drain(store, NOW, quarantine=Spool(tmp_path / "quarantine"))
    assert result.indexed == 2 and result.quarantined == 7 and result.pending == 0
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for ai in bad:
        assert f"document {ai.item.id} rejected" in logged
    assert logged.count("failed to parse field [metrics.views]") == 7


def test_a_spool_write_that_fails_leaves_nothing_behind(tmp_path):
    # A write failing half-way (here a text the file's encoding cannot hold, as a full
    # disk would) used to leave its temp file on a disk already short of space.
    import pytest

    spool = Spool(tmp_path / "spool")
    spool.append(_items(1))
    bad = analyzed("https://bbs.example.cn/t/x", "坏帖", "正文\ud800")
    with pytest.raises(UnicodeEncodeError):
        spool.append(_items(2, start=1) + [bad])
    assert sorted(p.name.startswith(".") for p in (tmp_path / "spool").iterdir()) == [False]
    assert spool.pending() == 1
