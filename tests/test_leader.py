"""Only one scheduler acts: the file lock on one host, the Elasticsearch lease across hosts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yuqing.leader import FileLock


def test_file_lock_one_holder(tmp_path):
    a, b = FileLock(tmp_path / "l"), FileLock(tmp_path / "l")
    assert a.is_leader() and not b.is_leader()
    a.release()
    assert b.is_leader()
    b.release()


def test_es_lease_expiry_and_takeover(es_url, prefix):
    from storage.client import connect
    from storage.lease import EsLease
    from yuqing.config import ElasticsearchConfig

    es = connect(ElasticsearchConfig(hosts=[es_url]))
    ttl = timedelta(seconds=90)
    a, b = EsLease(es, prefix, ttl, "host-a"), EsLease(es, prefix, ttl, "host-b")
    t0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert a.is_leader(t0)
    assert not b.is_leader(t0 + timedelta(seconds=10))
    assert a.is_leader(t0 + timedelta(seconds=60))  # renewed: now valid to t0+150s
    assert not b.is_leader(t0 + timedelta(seconds=120))
    # a stops renewing (crashed): after expiry b takes over, and a cannot come back.
    assert b.is_leader(t0 + timedelta(seconds=151))
    assert not a.is_leader(t0 + timedelta(seconds=152))
    b.release()
    assert a.is_leader(t0 + timedelta(seconds=153))


def test_main_loop_renewal_keeps_an_idle_leader(es_url, prefix, caplog):
    """Between jobs the main loop renews the lease (every 5 s): a standby never takes over
    from a live leader whose jobs are far apart; a lost lease is logged as an error."""
    from storage.client import connect
    from storage.lease import EsLease
    from yuqing.config import ElasticsearchConfig
    from yuqing.leader import renew

    es = connect(ElasticsearchConfig(hosts=[es_url]))
    ttl = timedelta(seconds=90)
    a, b = EsLease(es, prefix, ttl, "host-a"), EsLease(es, prefix, ttl, "host-b")
    t0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
    held = a.is_leader(t0)
    for s in range(5, 400, 5):
        held = renew(a, held, t0 + timedelta(seconds=s))
        assert held
        assert not b.is_leader(t0 + timedelta(seconds=s, milliseconds=500))
    # The lease document vanishes (say an operator deleted the index) and b takes it:
    es.delete(index=f"{prefix}-locks", id="scheduler", refresh=True)
    assert b.is_leader(t0 + timedelta(seconds=401))
    later = t0 + timedelta(seconds=430)  # a renewed at +390; due again from +420
    assert renew(a, True, later) is False
    assert "leadership lost" in caplog.text


def _cut_off_leader(es_url: str, prefix: str, ttl: timedelta, request_timeout: float):
    """Lease holder ``a`` talks to the node through a proxy that can play the node going
    away; ``b`` (a standby on another host) reaches it directly."""
    from elasticsearch import Elasticsearch
    from esproxy import EsProxy

    from storage.lease import EsLease

    proxy = EsProxy(es_url)
    # As storage.client.connect builds it ($YUQING_ES_URL would override a configured host).
    cut = Elasticsearch(proxy.url, request_timeout=request_timeout, retry_on_timeout=True,
                        max_retries=2)
    a = EsLease(cut, prefix, ttl, "host-a")
    b = EsLease(Elasticsearch(es_url), prefix, ttl, "host-b")
    return proxy, a, b


def test_a_leader_cut_off_from_the_cluster_leads_until_its_lease_ends_not_after(
        es_url, prefix, caplog):
    """Renewal fails (503): the leader neither raises into the job nor stops at once (no
    one can take over while its lease runs) and steps down before the standby may take
    over; the standby then takes over, and the old leader does not come back."""
    ttl = timedelta(seconds=90)
    proxy, a, b = _cut_off_leader(es_url, prefix, ttl, request_timeout=5)
    t0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
    try:
        assert a.is_leader(t0)
        proxy.mode = "503"
        assert a.is_leader(t0 + timedelta(seconds=40))  # renewal due and failing
        assert "lease" in caplog.text and "could not be renewed" in caplog.text
        assert not b.is_leader(t0 + timedelta(seconds=41))
        # Close to the end of its lease the cut-off leader stops acting: a job it started
        # then could still be running when the standby takes over.
        assert not a.is_leader(t0 + timedelta(seconds=85))
        assert not a.is_leader(t0 + timedelta(seconds=95))
        assert b.is_leader(t0 + timedelta(seconds=90))
        proxy.mode = "up"
        assert not a.is_leader(t0 + timedelta(seconds=100))
    finally:
        proxy.stop()


def test_a_renewal_that_hangs_is_not_a_stale_yes(es_url, prefix):
    """The cluster stops answering. A renewal waits on its request, and by the time it
    gives up the lease may have run out: the answer is about then, not about when it was
    asked, and the wait is bounded well inside the lease."""
    import time

    ttl = timedelta(seconds=6)
    proxy, a, b = _cut_off_leader(es_url, prefix, ttl, request_timeout=3)
    t0 = datetime.now(UTC)
    try:
        assert a.is_leader(t0)
        proxy.mode = "hang"
        started = time.monotonic()
        asked = t0 + timedelta(seconds=4.5)  # renewal due; lease valid until t0 + 6 s
        assert not a.is_leader(asked)
        waited = time.monotonic() - started
        assert waited < ttl.total_seconds() / 2
        assert b.is_leader(t0 + ttl)
    finally:
        proxy.stop()


def test_a_leader_cut_off_tells_the_officer_detection_stalled_then_who_carries_on(
        es_url, prefix, tmp_path, monkeypatch):
    """With the Elasticsearch lease, a leader that loses the cluster stands down when its
    lease ends; with the whole cluster gone nobody leads, so the instance that led last
    still tells the on-duty officer that detection has stalled. A standby that never led
    says nothing. Once the cluster is back and another instance leads, the one that told
    of the stall says who carries on."""
    from elasticsearch import Elasticsearch
    from hooks import Hook
    from test_scheduler import _config

    from storage.lease import EsLease
    from yuqing.config import load_config
    from yuqing.jobs import detect_cycle, standby_heartbeat
    from yuqing.records import SHANGHAI

    hook = Hook()
    proxy, a, b = _cut_off_leader(es_url, prefix, timedelta(seconds=90), request_timeout=5)
    c = EsLease(Elasticsearch(proxy.url, request_timeout=5), prefix, timedelta(seconds=90),
                "host-c")  # a standby that reaches the cluster as ``a`` does
    try:
        monkeypatch.setenv("YUQING_ES_URL", proxy.url)
        monkeypatch.setenv("HOOK_OFFICE", hook.url("/office"))
        monkeypatch.setenv("HOOK_DUTY", hook.url("/duty"))
        # Each host has its own data directory (and so its own outbox).
        (tmp_path / "a").mkdir(), (tmp_path / "c").mkdir()
        cfg = load_config(str(_config(tmp_path / "a", proxy.url, prefix)))
        cfg_c = load_config(str(_config(tmp_path / "c", proxy.url, prefix)))
        t0 = datetime(2026, 11, 20, 1, 0, tzinfo=SHANGHAI)
        assert a.is_leader(t0)
        detect_cycle(cfg, t0)
        assert not c.is_leader(t0) and c.holder_seen == "host-a"
        assert standby_heartbeat(cfg_c, t0, c) == []  # it has told nothing: nothing to end
        proxy.mode = "503"
        assert not a.is_leader(t0 + timedelta(seconds=95)) and a.cut_off
        assert not c.is_leader(t0 + timedelta(seconds=95)) and not c.cut_off
        assert c.holder_seen is None  # who leads is unknown now
        for minute in range(2, 13):
            now = t0 + timedelta(minutes=minute)
            assert not a.is_leader(now) and not c.is_leader(now)
            standby_heartbeat(cfg, now, a)
            assert standby_heartbeat(cfg_c, now, c) == []
        [stall] = hook.messages("/duty")
        assert stall["title"] == "【舆情监测中断】预警检测已 10 分钟未完成"
        assert "领导租约已失效" in stall["message"] and "自 11-20 01:00 起" in stall["message"]
        proxy.mode = "up"
        t1 = t0 + timedelta(minutes=13)
        assert b.is_leader(t1)  # the lease had long run out: another host takes over
        assert not a.is_leader(t1) and not a.cut_off and a.holder_seen == "host-b"
        assert len(standby_heartbeat(cfg, t1, a)) == 1
        assert standby_heartbeat(cfg, t1 + timedelta(minutes=1), a) == []
        back = hook.messages("/duty")[-1]
        assert back["title"] == "【舆情监测恢复】预警检测由其他实例继续"
        assert "检测由当前领导实例 host-b 继续进行" in back["message"]
        assert len(hook.messages("/duty")) == 2
    finally:
        proxy.stop()
        hook.stop()
