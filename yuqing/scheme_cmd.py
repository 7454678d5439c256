"""``yuqing scheme test``: preview a monitoring scheme on the last N days before saving it.

Prints how many stored items it matches per day, the newest matches, and the alerts that
its growth rule would have fired over the period (simulated in time order, as replay does).
The scheme is a configured one (by name) or one given on the command line.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime, timedelta
from typing import TextIO

from yuqing.cliargs import iso_time
from yuqing.config import Config, SchemeConfig
from yuqing.records import SHANGHAI

# SchemeConfig's fields as given on the command line, for error messages.
OPTIONS = {"name": "NAME", "regions": "--regions", "subjects": "--subjects",
           "events": "--events", "exclude": "--exclude", "expression": "--expression"}


def add_parser(sub) -> None:
    sc = sub.add_parser("scheme", help="monitoring schemes (监测方案)")
    ssub = sc.add_subparsers(dest="scheme_action", required=True)
    t = ssub.add_parser("test", help="what a scheme would have matched and alerted")
    t.add_argument("name", help="a configured scheme, or a name for the one given here")
    t.add_argument("--days", type=int, default=7)
    t.add_argument("--regions", nargs="*", default=[], help="地域词")
    t.add_argument("--subjects", nargs="*", default=[], help="主体词")
    t.add_argument("--events", nargs="*", default=[], help="事件词")
    t.add_argument("--exclude", nargs="*", default=[], help="排除词")
    t.add_argument("--expression", help="boolean expression instead of word groups")
    t.add_argument("--show", type=int, default=10, help="newest matches to list")
    t.add_argument("--at", type=iso_time, help="ISO time to look back from (default: now)")


def _scheme(cfg: Config, args: argparse.Namespace) -> SchemeConfig:
    given = args.expression or args.regions or args.subjects or args.events
    if given:
        return SchemeConfig(name=args.name, regions=args.regions, subjects=args.subjects,
                            events=args.events, exclude=args.exclude,
                            expression=args.expression)
    for s in cfg.schemes:
        if s.name == args.name:
            return s
    names = ", ".join(s.name for s in cfg.schemes) or "(none)"
    raise KeyError(f"no scheme named {args.name!r}; configured: {names}")


def run(cfg: Config, args: argparse.Namespace, out: TextIO, now: datetime | None = None
        ) -> int:
    from detection.detector import Detector
    from detection.sensitivity import configured_sensitivity
    from storage import open_store
    from watch.calendar import configure
    from yuqing.observations import OBS_FIELDS, observation

    # Configured holidays and sensitive periods set the thresholds, as they do live.
    configure(cfg.calendar)

    if now is None:
        now = args.at or datetime.now(SHANGHAI)
    scheme = _scheme(cfg, args)
    compiled = scheme.compile()
    store = open_store(cfg)
    since = now - timedelta(days=args.days)
    # Older history lets the growth rule see a baseline at the start of the window.
    history_from = since - timedelta(days=configured_sensitivity(cfg, now).baseline_days)
    docs = list(store.iter_query(compiled.query(), since=history_from, until=now,
                                 fields=OBS_FIELDS))
    recent = [d for d in docs if observation(d).when >= since]
    per_day = Counter(observation(d).when.strftime("%Y-%m-%d") for d in recent)
    print(f"scheme {scheme.name!r}: {len(recent)} items in the last {args.days} days", file=out)
    for day in sorted(per_day):
        print(f"  {day}  {per_day[day]:>4}  {'█' * min(per_day[day], 60)}", file=out)
    for d in sorted(recent, key=lambda d: observation(d).when, reverse=True)[:args.show]:
        o = observation(d)
        print(f"  {o.when:%m-%d %H:%M}  {o.title[:40]}  {o.url}", file=out)
    detector = Detector(rules=frozenset({"scheme"}))
    earliest = store.earliest()
    fired = []
    for d in docs:
        o = observation(d, schemes=(scheme.name,))
        detector.observe(o)
        if earliest is not None:
            detector.started = min(detector.started or earliest, earliest)
        if o.when >= since:
            fired += detector.evaluate(o.when, [f"scheme:{scheme.name}"],
                                       configured_sensitivity(cfg, o.when))
    print(f"would have fired {len(fired)} alert(s)", file=out)
    for a in fired:
        print(f"  {a.fired_at:%m-%d %H:%M} [{a.severity.value}] {a.title}\n    {a.summary}",
              file=out)
    return 0
