"""`yuqing demo` end to end on its bundled web (isolated by index prefix and data dir)."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def test_demo_reset_deletes_only_its_own_subdirectory_and_prefix(tmp_path, prefix, store,
                                                                 monkeypatch, base_config):
    from yuqing.demo import demo_config, reset
    from yuqing.demo.server import LocalSite

    data = tmp_path / "var"
    (data / "state").mkdir(parents=True)
    sentinel = data / "state" / "crawl.sqlite"
    sentinel.write_text("real work")
    monkeypatch.setenv("YUQING_DATA_DIR", str(data))
    with LocalSite() as site:
        cfg = demo_config(base_config, site)
    # The environment named the data dir and prefix in effect; the demo works below them.
    assert cfg.data_path() == data.absolute() / "demo"
    assert cfg.data_path("state", "x") == data.absolute() / "demo" / "state" / "x"
    assert cfg.elasticsearch.prefix == f"{prefix}-demo"
    (data / "demo" / "state").mkdir(parents=True)
    (data / "demo" / "state" / "outbox.sqlite").write_text("last demo")
    reset(cfg)
    assert sentinel.read_text() == "real work"
    assert not (data / "demo").exists()
    assert store.es.indices.exists_index_template(name=store.template_name)


def test_demo_crawls_indexes_and_finds_the_growing_complaint(tmp_path, prefix, es_url):
    from storage import ItemStore
    from storage.client import connect
    from yuqing.config import ElasticsearchConfig

    # The demo keeps to <data dir>/demo and <prefix>-demo: real work beside them survives.
    sentinel = tmp_path / "var" / "state" / "crawl.sqlite"
    sentinel.parent.mkdir(parents=True)
    sentinel.write_text("real work")
    env = {**os.environ, "YUQING_DATA_DIR": str(tmp_path / "var")}
    proc = subprocess.run([sys.executable, "-m", "yuqing.cli", "demo"], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert sentinel.read_text() == "real work"
    assert (tmp_path / "var" / "demo" / "demo.yaml").exists()
    store = ItemStore(connect(ElasticsearchConfig(hosts=[es_url])), f"{prefix}-demo")
    out = proc.stdout
    assert "qh-news    pages  14  items  12  indexed  12" in out
    assert "qh-forum   pages  27  items  24  indexed  24" in out  # 2 list pages + 24 threads
    assert "qh-mailbox pages   8  items   6  indexed   6" in out
    assert "Indexed items: 42" in out
    store.refresh()
    from yuqing.demo.content import BOARD, GROWING

    water = store.search("自来水 发黄", size=50)
    expected = [t for t, body, *_ in [*GROWING, *BOARD]
                if all(w in t + body for w in ("自来水", "发黄"))]
    assert sorted(h["title"] for h in water) == sorted(expected)
    assert all("河口镇" in h["townships"] for h in water)
    forum = [h for h in water if h["source_id"] == "qh-forum"]
    assert forum and all(h["metrics"]["views"] > 0 for h in forum)  # counts from the board
    assert all(h.get("author") is None for h in forum)  # posters' names are never kept
    mails = {h["title"]: h for h in store.search("", sources=["qh-mailbox"], size=10)}
    assert mails["柳林村路灯长期不亮"]["replied"] is True
    assert "更换线路" in mails["柳林村路灯长期不亮"]["reply_text"]
    assert mails["河口镇自来水发黄请求检测"]["replied"] is False
    assert "yuqing search" in out and "河口" in out.split("Sample search")[1]
    # The environment wins over the dumped configuration: the hint sets it to the demo's.
    assert (f"`YUQING_INDEX_PREFIX={prefix}-demo YUQING_DATA_DIR={tmp_path / 'var' / 'demo'} "
            "yuqing -c ") in out
    # The growing complaint fires, is explained, and reaches the local webhook.
    detection = out.split("Detection:")[1]
    # The story fires once: under its event, or under the 供水问题 scheme when that grew
    # more significantly. Events are grouped incrementally as items arrive, so the crawl's
    # arrival order (timing on a busy machine) decides whether the first yellow-water post
    # of a week ago founded the event (its baseline then makes the scheme win) or not.
    assert "alert(s) fired" in detection
    assert re.search(r"\[warning\] (事件「[^」]*河口[镇村][^」]*自来水|监测方案「供水问题」)",
                     detection), detection
    assert "自来水" in detection and "基线" in detection
    assert "Delivered to the duty office's webhook (/hook)" in detection
    # The console started on the demo's data, answered, and stopped with the demo.
    assert "Duty console (值班台): http://127.0.0.1:" in out and "login: demo / " in out


def test_the_demo_delivers_at_any_hour(base_config):
    # Real work holds warnings in quiet hours (22:00-07:00); the demo, run at night by a
    # newcomer, must still show its warning reaching the webhook.
    from yuqing.demo import demo_config
    from yuqing.demo.server import LocalSite

    assert base_config.watch.quiet_at(23 * 60)
    with LocalSite() as site:
        cfg = demo_config(base_config, site)
    assert not any(cfg.watch.quiet_at(m) for m in range(0, 24 * 60, 30))


def test_the_demo_offers_to_stop_only_a_node_it_started(base_config, monkeypatch, tmp_path):
    # Run against an existing cluster, the demo still said "The local Elasticsearch keeps
    # running ... stop the node with `yuqing es stop`": there was no such node.
    from yuqing.demo import _afterwards

    dump = tmp_path / "demo.yaml"
    monkeypatch.delenv("YUQING_ES_URL", raising=False)
    local = base_config.model_copy(update={"elasticsearch": base_config.elasticsearch
                                           .model_copy(update={"hosts": []})})
    assert "yuqing es stop" in _afterwards(local, dump)
    monkeypatch.setenv("YUQING_ES_URL", "http://127.0.0.1:9200")
    said = _afterwards(local, dump)
    assert "yuqing es stop" not in said and "local Elasticsearch" not in said
    assert f"yuqing -c {dump} search" in said
