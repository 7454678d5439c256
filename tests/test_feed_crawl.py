"""The feed spider, for real: `yuqing crawl` against a local site, results read from ES."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import crawling
from sites import article, atom, rss

from yuqing.demo.server import LocalSite

PARAS = ["石桥镇新民村村民反映，村口道路年久失修，雨天积水严重，出行十分不便。",
         "村民希望有关部门尽快安排维修，镇里表示已派人现场查看并制定维修方案。"]
HOSPITAL = "县人民医院开通线上预约挂号服务，群众就医更加便捷。"


def write_config(tmp_path, site: LocalSite) -> str:
    path = tmp_path / "county.yaml"
    path.write_text(textwrap.dedent(f"""\
        data_dir: {tmp_path / 'var'}
        crawl: {{download_delay: 0, autothrottle: false}}
        gazetteer:
          county: 测试县
          townships:
            - name: 石桥镇
              places: [{{name: 新民村}}]
        sources:
          - id: rss-news
            name: 测试新闻网
            template: feed
            kind: news
            start_urls: ["{site.url('/rss.xml')}"]
          - id: atom-news
            name: 测试Atom
            template: feed
            kind: news
            region: 石桥镇
            start_urls: ["{site.url('/atom.xml')}"]
        """), encoding="utf-8")
    return str(path)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", *args], capture_output=True,
                          text=True, timeout=180, env=os.environ.copy())


def test_feed_spider_indexes_articles_and_counts_failures(tmp_path, prefix, store):
    with LocalSite() as site:
        site.add("/a/1.html", article("新民村道路年久失修", "2026-11-20 09:15", PARAS))
        site.add("/a/2.html", article("县医院开通预约挂号", "2026-11-21 10:00",
                                      ["县人民医院开通线上预约挂号服务，群众就医更加便捷。"] * 3))
        site.add("/a/secret.html", article("不应抓取", "2026-11-21 10:00", PARAS))
        site.add("/robots.txt", "User-agent: *\nDisallow: /a/secret.html\n", "text/plain")
        site.add("/rss.xml", rss([
            ("新民村道路年久失修", site.url("/a/1.html"), "Fri, 20 Nov 2026 09:15:00 +0800"),
            ("县医院开通预约挂号", site.url("/a/2.html"), "Sat, 21 Nov 2026 10:00:00 +0800"),
            ("已删除", site.url("/a/gone.html"), "Sat, 21 Nov 2026 11:00:00 +0800"),
            ("禁止", site.url("/a/secret.html"), "Sat, 21 Nov 2026 11:00:00 +0800"),
        ]), "application/rss+xml")
        site.add("/atom.xml", atom([
            ("新民村道路年久失修", site.url("/a/1.html?utm_source=atom"),
             "2026-11-20T09:15:00+08:00")]), "application/atom+xml")
        cfg = write_config(tmp_path, site)
        proc = run_cli("--config", cfg, "crawl")
        assert proc.returncode == 0, proc.stderr
        assert site.hits["/a/secret.html"] == 0  # robots.txt obeyed
    lines = {ln.split()[0]: ln.split() for ln in proc.stdout.splitlines()[1:]}
    assert lines["rss-news"][1:5] == ["5", "2", "2", "0"]  # pages items indexed spooled
    assert "http_404=1" in proc.stdout
    store.refresh()
    hits = {h["title"]: h for h in store.search("", size=10)}
    assert set(hits) == {"新民村道路年久失修", "县医院开通预约挂号"}
    road = hits["新民村道路年久失修"]
    assert road["published_at"] == "2026-11-20T09:15:00+08:00"
    assert "雨天积水严重" in road["text"] and "版权所有" not in road["text"]
    assert "新民村" in road["places"] and road["townships"] == ["石桥镇"]
    assert "新民村" in road["tokens"].split()
    # The Atom entry is the same article behind a tracking parameter: still one document.
    assert store.count() == 2
    assert [h["title"] for h in store.search("积水")] == ["新民村道路年久失修"]


def test_crawl_unknown_source_is_a_clear_error(tmp_path, prefix):
    with LocalSite() as site:
        proc = run_cli("--config", write_config(tmp_path, site), "crawl", "nope")
    assert proc.returncode == 2
    assert "unknown source 'nope'; configured: rss-news, atom-news" in proc.stderr


def test_events_continue_across_crawl_runs(tmp_path, prefix, store):
    """A repost crawled in a later run (a new process) joins the event of the earlier run."""
    post = ("河口镇河口村的自来水发黄，还有一股怪味，不敢给孩子喝，"
            "打电话给水厂也没人接，希望尽快解决。")
    from datetime import datetime, timedelta
    from email.utils import format_datetime

    from yuqing.records import SHANGHAI

    t1 = datetime.now(SHANGHAI) - timedelta(hours=20)
    t2 = t1 + timedelta(hours=6)
    with LocalSite() as site:
        site.add("/a/1.html", article("河口村自来水发黄还有异味", f"{t1:%Y-%m-%d %H:%M}", [post]))
        site.add("/rss.xml", rss([("河口村自来水发黄还有异味", site.url("/a/1.html"),
                                   format_datetime(t1))]), "application/rss+xml")
        cfg = write_config(tmp_path, site)
        assert run_cli("--config", cfg, "crawl", "rss-news").returncode == 0
        site.add("/a/2.html", article("转：河口村自来水发黄还有异味", f"{t2:%Y-%m-%d %H:%M}",
                                      ["转发：" + post]))
        site.add("/rss.xml", rss([
            ("河口村自来水发黄还有异味", site.url("/a/1.html"), format_datetime(t1)),
            ("转：河口村自来水发黄还有异味", site.url("/a/2.html"), format_datetime(t2))]),
            "application/rss+xml")
        proc = run_cli("--config", cfg, "crawl", "rss-news")
        assert proc.returncode == 0, proc.stderr
    store.refresh()
    hits = store.search("自来水", size=10)
    assert len(hits) == 2 and hits[0]["event_id"] == hits[1]["event_id"]
    from storage import open_event_store
    from yuqing.config import load_config

    events = open_event_store(load_config(cfg))
    events.refresh()
    ev = events.get(hits[0]["event_id"])
    assert ev is not None and ev["item_count"] == 2
    assert ev["title"] == "河口村自来水发黄还有异味" and "自来水" in ev["keywords"]


def test_plain_scrapy_crawl_runs_a_configured_source(tmp_path, prefix, store):
    """`scrapy crawl TEMPLATE -a source=ID`: how Scrapyd on other hosts runs a source."""
    root = Path(__file__).resolve().parents[1]
    with LocalSite() as site:
        site.add("/a/1.html", article("新民村道路年久失修", "2026-11-20 09:15", PARAS))
        site.add("/rss.xml", rss([("新民村道路年久失修", site.url("/a/1.html"),
                                   "Fri, 20 Nov 2026 09:15:00 +0800")]), "application/rss+xml")
        cfg = write_config(tmp_path, site)
        env = {**os.environ, "YUQING_CONFIG": cfg}
        proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "feed", "-a",
                               "source=rss-news"], cwd=root, env=env, capture_output=True,
                              text=True, timeout=180)
        assert proc.returncode == 0, proc.stderr[-2000:]
        bad = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "feed", "-a",
                              "source=nope"], cwd=root, env=env, capture_output=True,
                             text=True, timeout=180)
    store.refresh()
    assert [h["title"] for h in store.search("积水")] == ["新民村道路年久失修"]
    assert "no source 'nope' in the configuration" in bad.stderr


def test_feed_entry_on_a_sibling_host_is_fetched_and_other_sites_are_counted(
        tmp_path, prefix, store):
    """A feed lists its site's own articles, also on a sibling host of the same registrable
    domain; an entry on another site, or a redirect to one, is dropped, counted and logged."""
    news, www = "http://news.example.gov.cn", "http://www.example.gov.cn"
    other, elsewhere = "http://www.other.gov.cn", "http://www.elsewhere.com.cn"
    with LocalSite() as site:
        # The fixture site is also the crawl's HTTP proxy, so these host names need no DNS.
        site.add(f"{www}/a/1.html", article("新民村道路年久失修", "2026-11-20 09:15", PARAS))
        site.add(f"{news}/a/2.html", article("县医院开通预约挂号", "2026-11-21 10:00",
                                             [HOSPITAL] * 3))
        site.add(f"{news}/go/3", "", status=301, Location=f"{elsewhere}/a/3.html")
        site.add(f"{elsewhere}/a/3.html", article("外站文章", "2026-11-21 10:00", PARAS))
        site.add(f"{other}/a/4.html", article("外站文章", "2026-11-21 10:00", PARAS))
        site.add(f"{news}/rss.xml", rss([
            ("新民村道路年久失修", f"{www}/a/1.html", "Fri, 20 Nov 2026 09:15:00 +0800"),
            ("县医院开通预约挂号", f"{news}/a/2.html", "Sat, 21 Nov 2026 10:00:00 +0800"),
            ("跳转到外站", f"{news}/go/3", "Sat, 21 Nov 2026 10:00:00 +0800"),
            ("外站文章", f"{other}/a/4.html", "Sat, 21 Nov 2026 10:00:00 +0800"),
        ]), "application/rss+xml")
        cfg = crawling.write_config(tmp_path, [{
            "id": "county-news", "name": "县政府网", "template": "feed", "kind": "news",
            "start_urls": [f"{news}/rss.xml"]}])
        proc = crawling.crawl(cfg, env={"http_proxy": site.base,
                                        "no_proxy": "127.0.0.1,localhost"})
        assert site.hits[f"{elsewhere}/a/3.html"] == site.hits[f"{other}/a/4.html"] == 0
    row = crawling.summary(proc)["county-news"]
    assert row["new"] == 2 and row["reasons"] == {"offsite": "2"}, proc.stdout
    assert f"dropped {other}/a/4.html: offsite" in proc.stderr
    assert (f"dropped {elsewhere}/a/3.html: offsite" in proc.stderr
            and f"redirected from {news}/go/3" in proc.stderr)
    store.refresh()
    assert {h["title"] for h in store.search("", size=10)} == {"新民村道路年久失修",
                                                              "县医院开通预约挂号"}


def test_rss_date_in_minus_0000_is_utc(tmp_path, prefix, store):
    """RFC 5322 "-0000" is UTC from a sender that does not say where it is; the article page
    shows no date, so the feed's date is the publish time."""
    with LocalSite() as site:
        site.add("/a/1.html", article("新民村道路年久失修", "", PARAS))
        site.add("/rss.xml", rss([("新民村道路年久失修", site.url("/a/1.html"),
                                   "Fri, 20 Nov 2026 02:00:00 -0000")]), "application/rss+xml")
        proc = run_cli("--config", write_config(tmp_path, site), "crawl", "rss-news")
        assert proc.returncode == 0, proc.stderr
    store.refresh()
    [hit] = store.search("", size=10)
    assert hit["published_at"] == "2026-11-20T10:00:00+08:00"


def test_a_share_link_keeps_no_user_id_in_the_index_or_the_crawl_state(tmp_path, prefix,
                                                                         store):
    """A Discuz share link ends in the sharer's user id (fromuid): issues, not people."""
    with LocalSite() as site:
        # The site serves a page whatever the share parameter says.
        for path in ("/a/1.html", "/a/1.html?fromuid=4321"):
            site.add(path, article("新民村道路年久失修", "2026-11-20 09:15", PARAS))
        for path in ("/t?tid=2", "/t?tid=2&fromuid=4321"):
            site.add(path, article("县医院开通预约挂号", "2026-11-21 10:00", [HOSPITAL] * 3))
        site.add("/rss.xml", rss([
            ("新民村道路年久失修", site.url("/a/1.html?fromuid=4321"),
             "Fri, 20 Nov 2026 09:15:00 +0800"),
            ("县医院开通预约挂号", site.url("/t?tid=2&amp;fromuid=4321"),
             "Sat, 21 Nov 2026 10:00:00 +0800")]), "application/rss+xml")
        site.add("/atom.xml", atom([]), "application/atom+xml")
        cfg = write_config(tmp_path, site)
        proc = run_cli("--config", cfg, "crawl")
        assert proc.returncode == 0, proc.stderr
        asked = sorted(p for p, n in site.hits.items() if n and p not in ("/rss.xml",
                                                                          "/atom.xml"))
    store.refresh()
    docs = store.search("", size=10)
    assert sorted(d["url"] for d in docs) == [site.url("/a/1.html"), site.url("/t?tid=2")]
    assert [p for p in asked if p != "/robots.txt"] == ["/a/1.html", "/t?tid=2"]
    state = (tmp_path / "var" / "state" / "crawl.sqlite").read_bytes()
    assert b"4321" not in state and b"fromuid" not in state
