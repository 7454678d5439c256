"""Events forget what is far behind the stream, whichever way in time the stream runs."""

from __future__ import annotations

from datetime import timedelta

from helpers import NOW

from analysis.dedup import signature
from analysis.events import RECENT, EventClusterer

STORY = ("河口镇沙湾村自来水从昨天开始发黄发臭，村民不敢饮用，已经向水厂反映多次，"
         "至今没有任何答复，希望有关部门尽快派人检查水质并给出说法。")


def post(n: int) -> str:
    """A post of its own: no near-duplicate of any other, no topic word shared."""
    return f"第{n}号帖子：" + "".join(chr(0x4E00 + (n * 7919 + k * 104729) % 20000)
                                    for k in range(40))


def put(c: EventClusterer, item_id: str, text: str, hours: float) -> str:
    return c.assign(item_id, text[:12], NOW + timedelta(hours=hours), signature(text),
                    [f"词{item_id}", f"语{item_id}"], [])


def test_a_stream_newest_first_is_forgotten_behind_it_and_still_joins_reposts() -> None:
    c = EventClusterer()
    # An export newest first: an item an hour, going back six months.
    n = 4500
    for i in range(n):
        put(c, str(i), post(i), -i)
    span = 2 * c.window / timedelta(hours=1)
    # What is remembered: the last arrivals and twice the window beyond them, not all.
    assert len(c.dups) <= RECENT + span + 2 and len(c.events) <= RECENT + span + 2
    # The stream still works: the original (newer) comes first, its repost after it.
    original = put(c, "orig", STORY, -n)
    assert put(c, "repost", "转：" + STORY, -n - 5) == original


def test_a_backlog_of_old_posts_in_a_live_stream_forgets_nothing_recent() -> None:
    c = EventClusterer()
    original = put(c, "orig", STORY, 0)
    for i in range(RECENT // 2):  # a forum's old threads, crawled among new ones
        put(c, f"old{i}", post(i), -24 * 60 - i)
    assert put(c, "repost", "转：" + STORY, 1) == original


WATER = ["河口镇自来水发黄，水厂不管，水质堪忧，沙湾村民意见很大",
         "沙湾村的水又黄了，水厂说是管道问题，这水质谁敢喝",
         "水厂检修后自来水还是发黄，河口镇水质问题何时解决",
         "第三周了，自来水依旧发黄，水厂和镇里互相推诿水质"]


def test_a_thread_fetched_again_after_it_was_forgotten_rejoins_its_event_once() -> None:
    c = EventClusterer()

    def thread(item_id: str, text: str, days: float) -> str:
        return c.assign(item_id, text[:10], NOW + timedelta(days=days), signature(text),
                        ["自来水", "发黄", "水质", "水厂"], ["河口镇"], engagement_score=1.0)

    # One complaint over three weeks: each post joins the last within the window.
    event = thread("a", WATER[0], 0)
    assert [thread(i, t, d) for i, t, d in zip("bcd", WATER[1:], (6, 12, 16), strict=True)
            ] == [event] * 3
    assert not c.knows("a")  # more than twice the window behind: forgotten, event lives
    # The first thread is fetched again (its replies grew): same id, same date.
    assert thread("a", WATER[0] + "（更新）", 0) == event
    ev = c.events[event]
    assert sorted(ev.item_ids) == ["a", "b", "c", "d"] and ev.heat == 8.0
