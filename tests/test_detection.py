"""Detection on constructed streams: bursts fire, like-for-like quiet stays silent."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from detection.detector import Detector, Observation
from detection.growth import Sensitivity, poisson_tail
from detection.sensitivity import sensitivity_at
from yuqing.records import SHANGHAI

START = datetime(2025, 9, 1, 0, 0, tzinfo=SHANGHAI)


def stream(days: int, per_day: float, *, seed: int, township: str = "河口镇",
           category: str = "城乡建设", start: datetime = START, prefix: str = "bg",
           rate_for=None) -> list[Observation]:
    """Poisson background: `per_day` complaints a day spread over waking hours."""
    rng = random.Random(seed)
    out = []
    for d in range(days):
        day = start + timedelta(days=d)
        rate = rate_for(day.date()) if rate_for else per_day
        n = _poisson(rng, rate)
        for i in range(n):
            when = day + timedelta(hours=rng.uniform(7, 22))
            out.append(Observation(id=f"{prefix}-{d}-{i}", title=f"诉求{d}-{i}", when=when,
                                   complaint=True, category=category,
                                   townships=(township,), event_id=f"ev-{prefix}-{d}-{i}",
                                   keywords=("物业", "小区")))
    return out


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small rates used here.
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def burst(at: datetime, n: int, *, event: str = "ev-water", hours: float = 10,
          township: str = "河口镇") -> list[Observation]:
    return [Observation(id=f"burst-{event}-{i}", title="河口镇自来水发黄有异味",
                        when=at + timedelta(hours=hours * i / n), complaint=True,
                        negative=True, category="城乡建设", townships=(township,),
                        event_id=event, keywords=("自来水", "发黄", "异味"))
            for i in range(n)]


def run(items: list[Observation], detector: Detector | None = None):
    det = detector or Detector()
    fired = []
    for o in sorted(items, key=lambda o: o.when):
        keys = det.observe(o)
        fired += det.evaluate(o.when, keys, sensitivity_at(o.when))
    return fired


def test_poisson_tail_matches_known_values():
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832, rel=1e-9)
    assert poisson_tail(5, 1.0) == pytest.approx(0.0036598468, rel=1e-6)
    assert poisson_tail(10, 0.3) == pytest.approx(1.2392e-12, rel=1e-3)


def test_steady_background_with_burst_fires_once_and_explains_itself():
    bg = stream(40, 1.0, seed=1)
    b = burst(START + timedelta(days=38, hours=8), 9)
    alerts = run(bg + b)
    assert len(alerts) == 1, [a.title for a in alerts]
    a = alerts[0]
    assert a.rule == "growing_event" and a.labels["event"] == "ev-water"
    assert set(a.item_ids) <= {o.id for o in b} and a.count == len(a.item_ids)
    assert a.count == Sensitivity().event_min_count
    assert a.baseline == Sensitivity().event_prior_rate
    assert a.keywords[:3] == ["自来水", "发黄", "异味"] and a.places == ["河口镇"]
    assert a.first_seen == b[0].when and a.fired_at == b[a.count - 1].when
    assert "基线" in a.summary and "增长" in a.summary


def test_background_alone_stays_silent():
    assert run(stream(60, 1.5, seed=2)) == []


def test_holiday_shaped_background_without_burst_is_silent():
    # The Golden Week: complaints quiet during the holiday, heavy on the make-up workdays
    # and after it. Compared like with like, nothing of this is growth.
    def rate(d: date) -> float:
        from watch.calendar import day_info

        info = day_info(d)
        return 0.3 if info.holiday else (3.5 if info.makeup_workday else 2.5)

    items = stream(60, 0, seed=3, rate_for=rate, start=datetime(2025, 8, 20, tzinfo=SHANGHAI))
    assert run(items) == []


def test_cool_down_is_respected_but_becoming_critical_escalates():
    bg = stream(30, 0.5, seed=4)
    first = burst(START + timedelta(days=25), 6, event="ev-a")
    again = burst(START + timedelta(days=26), 6, event="ev-a")  # same event, next day
    alerts = run(bg + first + [o.__class__(**{**o.__dict__, "id": o.id + "x"})
                               for o in again])
    fired_for_a = [a for a in alerts if a.labels.get("event") == "ev-a"]
    assert len(fired_for_a) == 1  # within the cool-down, 6 more is not critical
    big = burst(START + timedelta(days=26, hours=2), 14, event="ev-b")
    alerts_b = run(bg + big)
    # 14 in ten hours: fires at 3 (warning), then escalates once at the critical count.
    assert [a.severity.value for a in alerts_b if a.labels.get("event") == "ev-b"] == [
        "warning", "critical"]


def test_slow_growth_is_not_mistaken_for_noise_or_a_burst():
    # A place whose complaints creep from 1 to 2 a day over six weeks: no alert. Then a
    # real jump to 8 in a day on top: alert.
    rng_rate = lambda d: 1.0 + (d - START.date()).days / 42  # noqa: E731
    slow = stream(42, 0, seed=5, rate_for=rng_rate)
    assert run(slow) == []
    jump = [Observation(id=f"j{i}", title="物业乱收费", when=START + timedelta(
        days=42, hours=8 + i), complaint=True, category="城乡建设", townships=("河口镇",),
        event_id=f"ev-j{i}", keywords=("物业",)) for i in range(9)]
    alerts = run(slow + jump)
    assert [a.rule for a in alerts] == ["growing_place_category"]
    assert alerts[0].labels["township"] == "河口镇"
    # Fired by the jump (on a Monday morning: against the windows that, like its own,
    # hold mostly a Sunday).
    assert {o.id for o in jump} & set(alerts[0].item_ids)
    assert alerts[0].fired_at.date() == jump[0].when.date()


def test_the_same_story_under_two_keys_fires_once():
    b = burst(START + timedelta(days=10), 8)  # an event AND its category × place
    alerts = run(stream(12, 0.2, seed=6) + b)
    assert [a.rule for a in alerts] == ["growing_event"]
    # Without the event key, the place key would have fired on the same items.
    only_place = Detector(rules=frozenset({"place"}))
    assert [a.rule for a in run(stream(12, 0.2, seed=6) + b, only_place)] == [
        "growing_place_category"]


def test_detection_is_deterministic():
    items = stream(40, 1.0, seed=7) + burst(START + timedelta(days=30), 10)
    assert [a.model_dump() for a in run(items)] == [a.model_dump() for a in run(items)]


def test_a_warning_turning_critical_within_the_hour_is_a_new_alert_superseding_it():
    from yuqing.jobs import resolved_alerts
    from yuqing.records import AlertStatus

    bg = stream(30, 0.5, seed=4)
    # 14 complaints in 50 minutes: the warning and the critical fall in one clock hour.
    at = START + timedelta(days=26, hours=10, minutes=2)
    alerts = [a for a in run(bg + burst(at, 14, event="ev-c", hours=50 / 60))
              if a.labels.get("event") == "ev-c"]
    warning, critical = alerts
    assert (warning.severity.value, critical.severity.value) == ("warning", "critical")
    assert warning.fired_at.hour == critical.fired_at.hour
    # Once the same id: the critical inherited the warning's acknowledgement and routing
    # saw no new alert in the group, so nobody was told until the repeat hours later.
    assert warning.id != critical.id
    later = critical.fired_at + timedelta(minutes=1)
    cooldown = timedelta(hours=72)
    [gone] = resolved_alerts([warning], [critical], set(), later, cooldown)
    assert gone.id == warning.id and gone.status is AlertStatus.resolved
    assert resolved_alerts([warning], [], set(), later, cooldown) == []  # still in cool-down


def test_the_same_instant_in_utc_is_judged_on_beijings_calendar():
    from datetime import UTC

    bg = stream(30, 0.5, seed=4)
    at = START + timedelta(days=26, hours=1)  # 01:00 Beijing = 17:00 UTC the day before
    obs = sorted(bg + burst(at, 14, event="ev-d", hours=5), key=lambda o: o.when)

    def fired(zone):
        det = Detector()
        out = []
        for o in obs:
            keys = det.observe(o)
            out += det.evaluate(o.when.astimezone(zone), keys, sensitivity_at(o.when))
        return [(a.id, a.severity.value, a.fired_at) for a in out]

    assert fired(UTC) == fired(SHANGHAI) and fired(UTC)


def test_an_event_is_labelled_with_the_township_most_of_its_posts_name():
    # The first post came via the county forum (城关镇 by its region); the other five are
    # about 河口镇: the alert goes to 河口镇's leader, not to the first post's place.
    bg = stream(30, 0.5, seed=4)
    posts = burst(START + timedelta(days=26, hours=9), 6, event="ev-e")
    posts[0] = Observation(**{**posts[0].__dict__, "townships": ("城关镇",)})
    [first, *_] = [a for a in run(bg + posts) if a.labels.get("event") == "ev-e"]
    assert first.labels["township"] == "河口镇" and "城关镇" in first.places


def _office_hours(days: int, start: datetime, per_workday: int, *, off_day_rate: int = 0,
                  prefix: str = "oh") -> list[Observation]:
    """Board complaints filed in office hours: ``per_workday`` on a workday (make-up
    workdays included), ``off_day_rate`` on a weekend or holiday."""
    from watch.calendar import day_info

    out = []
    for d in range(days):
        day = start + timedelta(days=d)
        n = off_day_rate if day_info(day.date()).off_day else per_workday
        out += [Observation(id=f"{prefix}-{d}-{i}", title="物业乱收费",
                            when=day + timedelta(hours=9, minutes=i * 540 // max(n, 1)),
                            complaint=True, category="城乡建设", townships=("河口镇",),
                            event_id=f"ev-{prefix}-{d}-{i}", keywords=("物业",))
                for i in range(n)]
    return out


def _place_alerts(items: list[Observation], at: datetime) -> list:
    det = Detector(rules=frozenset({"place"}))
    for o in items:
        det.observe(o)
    return det.evaluate(at, None, sensitivity_at(at))


def test_just_after_midnight_the_window_is_compared_as_the_day_it_holds():
    # 00:05 on the first day of the Golden Week: the last 24 hours are the workday of 30
    # September with its ordinary dozen board complaints. Compared with holiday windows
    # (quiet days) that ordinary workday looked like a burst on the first holiday night.
    start = datetime(2026, 8, 1, tzinfo=SHANGHAI)
    items = _office_hours(61, start, 12)  # to the end of 30 September
    at = datetime(2026, 10, 1, 0, 5, tzinfo=SHANGHAI)
    assert _place_alerts(items, at) == []
    from datetime import UTC

    assert _place_alerts(items, at.astimezone(UTC)) == []  # a machine clock in UTC
    # The same workday, judged in its own afternoon, was ordinary too (a control).
    assert _place_alerts(items, datetime(2026, 9, 30, 23, 0, tzinfo=SHANGHAI)) == []


def test_the_first_day_of_a_holiday_without_an_earlier_holiday_in_reach_is_judged():
    # 中秋 2026 (25-27 September) comes 96 days after 端午: no holiday within the 56-day
    # baseline. Places and schemes waited for three holiday windows, so the first three
    # days of the holiday, when the office watches hardest, were blind to them.
    start = datetime(2026, 7, 20, tzinfo=SHANGHAI)
    items = _office_hours(68, start, 2, off_day_rate=2)  # two a day, every day
    burst_at = datetime(2026, 9, 25, 8, 0, tzinfo=SHANGHAI)
    items += [Observation(id=f"moon-{i}", title="河口镇小区停水两天没人管",
                          when=burst_at + timedelta(minutes=40 * i), complaint=True,
                          category="城乡建设", townships=("河口镇",), event_id=f"ev-m{i}",
                          keywords=("停水",)) for i in range(12)]
    [alert] = _place_alerts(items, datetime(2026, 9, 25, 20, 0, tzinfo=SHANGHAI))
    assert alert.labels["township"] == "河口镇" and alert.count == 12 + 2
    assert 1.5 < alert.baseline < 2.5  # the days off it was compared with
    assert "周末" in alert.summary  # and it says so


def test_thresholds_follow_the_duty_day_across_midnight():
    # A day's watch runs to the next day_start (08:30), as its shifts and quiet hours do.
    from datetime import UTC

    from detection.sensitivity import configured_sensitivity
    from yuqing.config import load_config

    cfg = load_config(None)
    normal, holiday = Sensitivity(), Sensitivity().scaled(0.75)

    def at(*t: int) -> Sensitivity:
        when = datetime(*t, tzinfo=SHANGHAI)
        assert configured_sensitivity(cfg, when.astimezone(UTC)) == (
            s := configured_sensitivity(cfg, when))  # a machine clock in UTC: the same
        return s

    # 国庆 2026 ends on 10-07; its 24-hour shift is still on at 01:00 on 10-08.
    assert at(2026, 10, 8, 1, 0) == holiday
    assert at(2026, 10, 8, 8, 30) == normal
    # The night before it is a normal night with quiet hours: a warning there is not
    # turned critical (12 → 9 items) by a holiday that starts with the morning shift.
    assert at(2026, 10, 1, 0, 30) == normal
    assert at(2026, 10, 1, 8, 30) == holiday


def test_after_handling_a_new_wave_recurs_and_only_its_items_make_it_critical():
    # The backtest never handles anything: there the second wave below stays silent
    # within the cool-down (as in test_cool_down_is_respected_but_becoming_critical_...).
    bg = stream(30, 0.5, seed=4)
    first = burst(START + timedelta(days=25, hours=8), 6, event="ev-f")
    det = Detector()
    [alert] = [a for a in run(bg + first, det) if a.labels.get("event") == "ev-f"]
    handled = START + timedelta(days=25, hours=20)
    det.remember(alert, handled_at=handled)  # what the cycle reads back from the store
    wave = [Observation(**{**o.__dict__, "id": f"{o.id}-2"})
            for o in burst(START + timedelta(days=26, hours=2), 14, event="ev-f")]
    fired = run(wave, det)
    assert [(a.severity.value, a.count) for a in fired] == [("warning", 3), ("critical", 12)]
    assert all(a.labels["recurrence_of"] == alert.id and a.title.startswith("【处置后复发】")
               for a in fired)
    # Critical at the twelfth item of the new wave, not at the sixth (with the six
    # handled ones still in the 24 hours); no handled item is evidence.
    assert fired[1].fired_at == wave[11].when
    assert set(fired[1].item_ids) == {o.id for o in wave[:12]}
    # A detector started afresh from the stored alerts counts the same items.
    fresh = Detector()
    fresh.remember(alert, handled_at=handled)
    fresh.remember(fired[0])
    assert run(bg + first + wave[:11], fresh) == []
    assert [a.id for a in run(wave[11:12], fresh)] == [fired[1].id]


def _scattered(at: datetime, n: int, prefix: str, *, hours: float = 12) -> list[Observation]:
    """``n`` complaints about one township and category, each its own story (no event
    key grows): only the place key sees them together."""
    return [Observation(id=f"{prefix}-{i}", title=f"河口镇诉求{prefix}{i}",
                        when=at + timedelta(hours=hours * i / n), complaint=True,
                        category="城乡建设", townships=("河口镇",), event_id=f"ev-{prefix}-{i}",
                        keywords=("物业", f"词{prefix}{i}"))
            for i in range(n)]


def _place_alert(fired):
    return [a for a in fired if a.rule != "growing_event" and "event" not in a.labels]


@pytest.mark.parametrize(("per_day", "second", "recurs"), [
    (0.3, 6, True),    # a quiet place: six complaints the day after handling are news
    (5.0, 6, False),   # a busy place: six is an ordinary day, not the issue coming back
    (5.0, 20, True),   # ...but twenty is
])
def test_a_place_recurs_after_handling_only_above_its_usual_rate(per_day, second, recurs):
    bg = stream(40, per_day, seed=7, prefix=f"bg{per_day}")
    first = _scattered(START + timedelta(days=38, hours=8), 30, "w1")
    det = Detector()
    alerts = _place_alert(run(bg + first, det))
    assert alerts, "the first wave fires the place key"
    handled = START + timedelta(days=38, hours=22)
    for a in alerts:
        det.remember(a, handled_at=handled)
    wave = _scattered(START + timedelta(days=39, hours=8), second, "w2")
    again = _place_alert(run(wave, det))
    assert bool(again) is recurs, [(a.title, a.count) for a in again]
    assert all(a.labels.get("recurrence_of") for a in again)
