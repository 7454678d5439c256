"""Elasticsearch unreachable while the scheduler's jobs run: they fail loudly, the
heartbeat still goes out and says so, and the outbox (SQLite, independent of the cluster)
keeps delivering what is due."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import free_port
from hooks import Hook
from test_scheduler import _config

from yuqing.config import load_config
from yuqing.records import SHANGHAI


def test_jobs_with_the_cluster_down_still_deliver_the_heartbeat(tmp_path, monkeypatch):
    from yuqing.jobs import detect_cycle, escalate_job, heartbeat_job

    hook = Hook(fail_first=1)  # the robot's first answer is a 500: a retry is due later
    try:
        down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        monkeypatch.setenv("YUQING_ES_URL", down)
        monkeypatch.setenv("HOOK_OFFICE", hook.url("/office"))
        monkeypatch.setenv("HOOK_DUTY", hook.url("/duty"))
        cfg = load_config(str(_config(tmp_path, down, "t-es-down")))
        t0 = datetime(2026, 11, 20, 9, 1, tzinfo=SHANGHAI)
        # The day shift's heartbeat is queued (saying the cluster is unreachable); the
        # robot refuses it this once.
        assert len(heartbeat_job(cfg, t0)) == 1
        assert hook.accepted == [] and len(hook.seen) == 1
        # Two minutes on, the retry is due. The jobs that need the cluster fail loudly
        # (an exception the scheduler logs); the heartbeat job has nothing new to queue.
        t1 = t0 + timedelta(minutes=2)
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises
            detect_cycle(cfg, t1)
        with pytest.raises(Exception):  # noqa: B017, PT011
            escalate_job(cfg, t1)
        assert heartbeat_job(cfg, t1) == []
        [beat] = hook.messages("/duty")
        # Alive, but not "running" as if all were well: it says something is wrong.
        assert beat["title"].startswith("【舆情值守心跳】⚠异常 1 项")
        assert "Elasticsearch 不可达" in beat["message"]
        # Ten minutes without one completed cycle: the officer hears that detection is
        # blind, and why, without waiting for the next shift's heartbeat.
        t2 = t0 + timedelta(minutes=10)
        assert len(heartbeat_job(cfg, t2)) == 1
        stall = hook.messages("/duty")[-1]
        assert stall["title"] == "【舆情监测中断】预警检测已 10 分钟未完成"
        assert "最近错误（11-20 09:03）：StorageUnavailable: Elasticsearch" in stall["message"]
        assert "Connection refused" in stall["message"]
        assert heartbeat_job(cfg, t2 + timedelta(minutes=5)) == []
    finally:
        hook.stop()


def test_yuqing_run_with_the_cluster_down_counts_failed_jobs_and_keeps_going(tmp_path):
    """`yuqing run` with Elasticsearch unreachable from the start: the heartbeat goes out
    saying so, detection fails every cycle (logged, and counted per job in
    state/jobruns.sqlite) and keeps being run, and SIGTERM still stops it cleanly."""
    import os
    import signal
    import sqlite3

    from test_scheduler import _start, _wait

    hook = Hook()
    down = f"http://127.0.0.1:{free_port()}"
    cfg = _config(tmp_path, down, "t-es-down")
    env = {**os.environ, "HOOK_OFFICE": hook.url("/office"), "HOOK_DUTY": hook.url("/duty"),
           "YUQING_ES_URL": down}
    log = tmp_path / "run.log"
    db = tmp_path / "var" / "state" / "jobruns.sqlite"

    def detect_failures() -> int:
        if not db.exists():
            return 0
        try:
            return sqlite3.connect(db).execute(
                "SELECT count(*) FROM job_errors WHERE job='detect'").fetchone()[0]
        except sqlite3.OperationalError:  # the table is not there yet
            return 0

    proc = _start(cfg, env, log)
    try:
        _wait(lambda: hook.messages("/duty") and detect_failures() >= 2, 60,
              "a heartbeat and two failed detection cycles:\n" + log.read_text()[-3000:])
        [beat] = hook.messages("/duty")
        assert "Elasticsearch 不可达" in beat["message"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        hook.stop()
    assert "job detect failed (2 failures so far)" in log.read_text()


def test_the_officer_hears_when_detection_stalls_and_when_it_is_back(tmp_path, monkeypatch,
                                                                     es_url, prefix):
    """Detection against the real node through a proxy that plays the node going away:
    one notice when no cycle has completed for ten minutes, one when a cycle completes
    again, each delivered once."""
    from esproxy import EsProxy

    from yuqing.jobs import detect_cycle, heartbeat_job

    hook, proxy = Hook(), EsProxy(es_url)
    try:
        monkeypatch.setenv("YUQING_ES_URL", proxy.url)
        monkeypatch.setenv("HOOK_OFFICE", hook.url("/office"))
        monkeypatch.setenv("HOOK_DUTY", hook.url("/duty"))
        cfg = load_config(str(_config(tmp_path, proxy.url, prefix)))
        t0 = datetime(2026, 11, 20, 1, 0, tzinfo=SHANGHAI)
        detect_cycle(cfg, t0)
        heartbeat_job(cfg, t0)  # the night shift's heartbeat
        proxy.mode = "503"
        for minute in range(1, 11):
            with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises
                detect_cycle(cfg, t0 + timedelta(minutes=minute))
            heartbeat_job(cfg, t0 + timedelta(minutes=minute, seconds=30))
        stalls = [m for m in hook.messages("/duty") if "监测中断" in m["title"]]
        assert [m["title"] for m in stalls] == ["【舆情监测中断】预警检测已 10 分钟未完成"]
        assert "自 11-20 01:00 起" in stalls[0]["message"]
        proxy.mode = "up"
        t1 = t0 + timedelta(minutes=12)
        detect_cycle(cfg, t1)
        heartbeat_job(cfg, t1 + timedelta(seconds=30))
        heartbeat_job(cfg, t1 + timedelta(minutes=1))
        [back] = [m for m in hook.messages("/duty") if "监测恢复" in m["title"]]
        assert "中断时段：11-20 01:00—11-20 01:12（12 分钟）" in back["message"]
        assert len([m for m in hook.messages("/duty") if "监测中断" in m["title"]]) == 1
    finally:
        proxy.stop()
        hook.stop()
