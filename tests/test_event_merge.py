"""Events split by two concurrent processes are merged into one, the same way in each."""

from __future__ import annotations

from datetime import timedelta

from helpers import NOW

from analysis.dedup import signature
from analysis.events import EventClusterer, event_id_for

STORY = ("河口镇沙湾村自来水从昨天开始发黄发臭，村民不敢饮用，已经向水厂反映多次，"
         "至今没有任何答复，希望有关部门尽快派人检查水质并给出说法。")
OTHER = ("县城东门菜市场周边占道经营严重，早晚高峰车辆无法通行，城管来了就走，"
         "走了又来，请求相关部门长期管理。")


def put(c: EventClusterer, item_id: str, text: str, minutes: int) -> str:
    return c.assign(item_id, text[:12], NOW + timedelta(minutes=minutes), signature(text),
                    ["自来水", "发黄", "水质"] if text.startswith("河口") else ["菜市场", "占道"],
                    ["河口镇"])


def restore(c: EventClusterer, item_id: str, event_id: str, text: str, minutes: int) -> None:
    c.restore(item_id, event_id, text[:12], NOW + timedelta(minutes=minutes), signature(text),
              ["自来水", "发黄", "水质"] if text.startswith("河口") else ["菜市场", "占道"],
              ["河口镇"])


def test_a_split_story_is_merged_into_one_survivor_in_both_processes() -> None:
    a, b = EventClusterer(), EventClusterer()
    # Each process founds an event for the story before seeing the other's item.
    ea = put(a, "a1", STORY, 1)
    eb = put(b, "b1", STORY + "（转）", 2)
    assert ea != eb and ea == event_id_for("a1") and eb == event_id_for("b1")
    later = put(b, "b2", STORY + "（再转）", 3)  # b's own repost joins b's event
    assert later == eb
    # Catching up: each restores the other's items.
    restore(a, "b1", eb, STORY + "（转）", 2)
    restore(a, "b2", eb, STORY + "（再转）", 3)
    restore(b, "a1", ea, STORY, 1)
    # The older founder survives in both, whatever order they saw things in.
    assert set(a.events) == set(b.events) == {ea}
    assert sorted(a.events[ea].item_ids) == sorted(b.events[ea].item_ids) == ["a1", "b1", "b2"]
    assert a.resolve(eb) == b.resolve(eb) == ea
    # Each reports what to relabel in storage: the items of the absorbed event it knew.
    merges_a, merges_b = a.take_merges(), b.take_merges()
    assert [(m.absorbed, m.survivor) for m in merges_b] == [(eb, ea)]
    assert sorted(i for i, _ in merges_b[0].items) == ["b1", "b2"]
    moved_a = sorted(i for m in merges_a for i, _ in m.items)
    assert {(m.absorbed, m.survivor) for m in merges_a} == {(eb, ea)}
    assert moved_a == ["b1", "b2"]
    assert a.take_merges() == []  # taken once
    # New reposts join the survivor in either process.
    assert put(a, "a2", STORY + "（三转）", 4) == put(b, "b3", STORY + "（四转）", 4) == ea
    assert a.events[ea].heat == b.events[ea].heat == 4  # each knows 3 shared + its own


def test_an_item_stored_under_a_merged_event_is_relabelled() -> None:
    a, b = EventClusterer(), EventClusterer()
    ea, eb = put(a, "a1", STORY, 1), put(b, "b1", STORY + "（转）", 2)
    restore(a, "b1", eb, STORY + "（转）", 2)
    a.take_merges()
    # b had not merged yet when it wrote b2 with its old event id.
    restore(a, "b2", eb, STORY + "（再转）", 3)
    assert list(a.events[ea].item_ids)[-1] == "b2"
    assert [(m.absorbed, m.survivor, [i for i, _ in m.items]) for m in a.take_merges()] == [
        (eb, ea, ["b2"])]


def test_different_stories_and_a_restart_are_not_merged() -> None:
    first = EventClusterer()
    e1 = put(first, "x1", STORY, 1)
    e2 = put(first, "y1", OTHER, 2)
    e1b = put(first, "x2", STORY + "（转）", 3)
    assert e1 == e1b != e2
    # A restart restores everything, founders included, in publication order.
    again = EventClusterer()
    for item_id, eid, text, m in (("x1", e1, STORY, 1), ("y1", e2, OTHER, 2),
                                  ("x2", e1, STORY + "（转）", 3)):
        restore(again, item_id, eid, text, m)
    assert again.take_merges() == []
    assert sorted(again.events) == sorted([e1, e2])
    # A founder restored after a repost of its own event is not a split either.
    late = EventClusterer()
    restore(late, "x2", e1, STORY + "（转）", 3)
    restore(late, "x1", e1, STORY, 1)
    assert late.take_merges() == [] and list(late.events) == [e1]
