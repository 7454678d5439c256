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
