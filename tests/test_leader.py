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
