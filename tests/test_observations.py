"""The detection cycle's incremental read gives exactly what a full read gives."""

from __future__ import annotations

import time
from datetime import timedelta

from helpers import NOW, analyzed

from yuqing.config import SchemeConfig, load_config
from yuqing.observations import ObservationCache, load_observations

SCHEME = SchemeConfig(name="停水", expression="停水|自来水")


def doc(n: int, text: str, hours_ago: float, *, complaint: bool = False,
        sentiment: float = 0.5):
    ai = analyzed(f"http://board.test/{n}", f"帖子{n}", text,
                  published=NOW - timedelta(hours=hours_ago), sentiment=sentiment)
    return ai.model_copy(update={"analysis": ai.analysis.model_copy(
        update={"complaint": complaint, "category": "城乡建设" if complaint else None})})


def summary(observations) -> list[tuple]:
    return [(o.id, o.when, o.complaint, o.negative, o.schemes) for o in observations]


def test_incremental_reads_equal_full_reads(store):
    cfg = load_config(None).model_copy(update={"schemes": [SCHEME]})
    # No safety margin here: every write of this test falls within seconds.
    cache = ObservationCache(margin=timedelta(0))
    store.index([doc(100 + i, f"垃圾没人清运{i}", 12, complaint=True) for i in range(50)], NOW)
    time.sleep(0.05)  # write times have millisecond resolution
    store.index([doc(1, "小区停水三天没人管", 30, complaint=True),
                 doc(2, "今天天气不错", 20),
                 doc(3, "物业服务太差了", 10, sentiment=0.1),
                 doc(4, "自来水公司发布检修通知", 5),  # neutral news, but a scheme match
                 doc(5, "路灯坏了", 200, complaint=True)], NOW, refresh=True)

    def check(now, since, expect_read: str) -> list[tuple]:
        until = now + timedelta(seconds=1)
        got = summary(cache.load(cfg, store, since, until, now))
        assert cache.last_read == expect_read
        assert got == summary(load_observations(cfg, store, since, until))
        return got

    first = check(NOW, NOW - timedelta(days=7), "full")
    # The 50, and 1, 3, 4: item 2 is of no concern, item 5 is older than the window.
    assert len(first) == 53
    # New writes, one complaint withdrawn by re-analysis, one item newly a complaint:
    store.index([doc(6, "河口镇停水了", 1, complaint=True),
                 doc(1, "小区停水三天没人管", 30, complaint=False),  # still a scheme match
                 doc(3, "物业服务太差了", 10, sentiment=0.5),  # no longer negative
                 doc(2, "今天天气不错 但是垃圾没人收", 20, complaint=True)], NOW,
                refresh=True)
    later = NOW + timedelta(minutes=1)
    second = check(later, later - timedelta(days=7), "incremental")
    # Only what was written since the last look (and the writes of its last millisecond),
    # not the 50 older items of the window.
    assert 4 <= cache.last_docs <= 9
    # The 50, 1 (a scheme match still), 2, 4, 6; 3 is no longer of concern.
    assert len(second) == 54 and doc(3, "", 0).item.id not in {o[0] for o in second}
    # The window's start moves past item 1 (30 h old): it drops out.
    third = check(NOW + timedelta(minutes=30), NOW - timedelta(hours=20), "incremental")
    assert len(third) == 53
    # A bulk load writes more than the window holds of concern: one full read instead.
    store.index([doc(300 + i, f"通知{i}", 3) for i in range(60)], NOW, refresh=True)
    check(NOW + timedelta(minutes=31), NOW - timedelta(hours=20), "full")
    # A longer window (a holiday's baseline) reaches back further: read in full.
    check(NOW + timedelta(minutes=40), NOW - timedelta(days=30), "full")
    # A changed scheme changes what is of concern: read in full.
    cfg = cfg.model_copy(update={"schemes": [SchemeConfig(name="天气", expression="天气")]})
    check(NOW + timedelta(minutes=41), NOW - timedelta(days=30), "full")
    # And at least once an hour, whatever happened; and whenever time runs backwards.
    check(NOW + timedelta(minutes=42), NOW - timedelta(days=30), "incremental")
    check(NOW + timedelta(minutes=101), NOW - timedelta(days=30), "full")
    check(NOW + timedelta(minutes=50), NOW - timedelta(days=30), "full")
