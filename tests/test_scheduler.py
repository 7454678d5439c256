"""`yuqing run` killed with SIGKILL and restarted: nothing sent twice, missed runs coalesced,
a second instance stands by, SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hooks import Hook

from yuqing.records import SHANGHAI

ROOT = Path(__file__).resolve().parents[1]


def _config(tmp: Path, es_url: str, prefix: str) -> Path:
    cfg = {
        "data_dir": str(tmp / "var"),
        "elasticsearch": {"hosts": [es_url], "index_prefix": prefix},
        "gazetteer": {"county": "测试县", "townships": [
            {"name": "河口镇", "leader": "李秀兰", "department": "县水利局"}]},
        "sources": [{"id": "quiet", "name": "沉默论坛", "template": "news", "kind": "forum",
                     "start_urls": ["http://127.0.0.1:9/"], "interval_minutes": 600}],
        "alerting": {
            "route": {"receiver": "office", "group_by": ["rule", "source"],
                      "group_wait": "1s", "group_interval": "1m", "repeat_interval": "1d"},
            "receivers": [{"name": "office",
                           "channels": [{"type": "webhook", "url_env": "HOOK_OFFICE"}]}],
        },
        "duty": {
            "people": [{"name": "值班甲", "channels": [{"type": "webhook",
                                                       "url_env": "HOOK_DUTY"}]}],
            "roster": {"officers": ["值班甲"]},
            "escalation": {"enabled": False},
        },
        "watch": {"quiet_hours": None},
        "scheduler": {"detect_every": "3s", "escalate_every": "3s", "heartbeat_every": "3s",
                      "crawl_check_every": "1h", "misfire_grace": "5m",
                      "daily_report": None, "weekly_report": None},
    }
    path = tmp / "yuqing.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def _seed_silent_source(data: Path) -> None:
    """Crawl statistics of a source that usually posts every 30 min and has been silent
    for two days (so crawl_health fires), and a crawl started just now (so no crawl)."""
    from crawlers.state import CrawlState
    from duty import state

    now = datetime.now(SHANGHAI)
    st = CrawlState(data / "state" / "crawl.sqlite")
    doc = {"source_id": "quiet", "runs": 20, "last_run": now.isoformat(),
           "last_success": now.isoformat(), "last_finish_reason": "finished",
           "last_new_items_at": (now - timedelta(days=2)).isoformat(),
           "median_gap_minutes": 30.0}
    st.db.execute("INSERT OR REPLACE INTO sources (source_id, doc) VALUES (?, ?)",
                  ("quiet", json.dumps(doc)))
    st.close()

    class _Cfg:  # just enough of Config for open_outbox
        def data_path(self, *parts: str) -> Path:
            return data.joinpath(*parts)

    ob = state.open_outbox(_Cfg())
    with ob.transaction() as tx:
        state.put(tx, "crawl.quiet.started", now.isoformat())
    ob.close()


def _start(cfg: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "yuqing.cli", "--config", str(cfg),
                             "--log-level", "INFO", "run"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def _wait(cond, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.stop()


def test_kill_restart_no_duplicates_and_coalesced(tmp_path: Path, es_url: str, prefix: str,
                                                   hook: Hook):
    cfg = _config(tmp_path, es_url, prefix)
    data = tmp_path / "var"
    _seed_silent_source(data)
    env = {**os.environ, "HOOK_OFFICE": hook.url("/office"), "HOOK_DUTY": hook.url("/duty"),
           "YUQING_INDEX_PREFIX": prefix, "YUQING_ES_URL": es_url}
    log = tmp_path / "run.log"
    first = _start(cfg, env, log)
    try:
        _wait(lambda: hook.messages("/office") and hook.messages("/duty"), 90,
              "the crawl-health alert and the heartbeat:\n" + log.read_text()[-3000:])
        time.sleep(1.0)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.time()
        before = len(hook.messages())
        # A second instance would stand by while the first holds the lock; with the first
        # dead (SIGKILL frees the flock) the restarted one leads at once. Stay down long
        # enough for several 3 s slots of each job to be missed.
        time.sleep(10)
        restarted_at = time.time()
        second = _start(cfg, env, log)
        time.sleep(3)
        standby = _start(cfg, env, log)
        time.sleep(9)
        standby.send_signal(signal.SIGTERM)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, log.read_text()[-3000:]
        assert standby.wait(30) == 0
    finally:
        for p in (first,):
            if p.poll() is None:
                p.kill()
    msgs = hook.messages()
    keys = Counter((m["path"], m.get("title"), m.get("message")) for m in msgs)
    dupes = [k for k, n in keys.items() if n > 1]
    assert not dupes, dupes
    # One alert, one heartbeat: nothing new after the restart (the same shift, the same
    # firing alert; decisions were already in the outbox).
    assert len(hook.messages("/office")) == 1
    assert "信息源沉默" in hook.messages("/office")[0]["title"]
    assert len(hook.messages("/duty")) == 1
    assert "系统运行中" in hook.messages("/duty")[0]["title"]
    assert len(msgs) == before
    # Missed slots while down: the restarted scheduler ran each job once for all of them.
    assert not any(pid == standby.pid for *_, pid in sqlite3.connect(
        data / "state" / "jobruns.sqlite").execute("SELECT * FROM job_runs"))
    runs = sqlite3.connect(data / "state" / "jobruns.sqlite").execute(
        "SELECT job, scheduled, submitted, pid FROM job_runs").fetchall()
    # The catch-up runs: the restarted scheduler's runs for slots that passed before it
    # resumed (its log says when; the latest missed slot may fall in the second the
    # process takes to start, so its launch time will not do). One per job: coalesced.
    resumed = [ln for ln in log.read_text().splitlines()
               if "Resumed scheduler job processing" in ln][-1]
    began = datetime.strptime(resumed[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    caught_up = Counter(job for job, sched, sub, pid in runs
                        if pid == second.pid and sched < began)
    assert caught_up["detect"] == 1 and caught_up["heartbeat"] == 1, (began, runs)
    missed_slots = (restarted_at - killed_at) // 3
    assert missed_slots >= 2
    text = log.read_text()
    assert "standing by" in text
