"""The responsibility grid (网格化 / 四联四包): township or place → responsible people.

The gazetteer names a ``leader`` and a ``department`` for each township and, where a
village or landmark has its own, for the place. They map to roster people: a person of
that name, the people ``grid.people`` lists for the name, or people whose ``departments``
include the department. A place's own assignment comes first; its township's as well.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)


def _names_for(cfg, key: str | None) -> list[str]:
    if not key:
        return []
    duty = cfg.duty
    if key in duty.grid.people:
        return list(duty.grid.people[key])
    named = [p.name for p in duty.people if p.name == key]
    by_dept = [p.name for p in duty.people if key in p.departments]
    return named + by_dept


def responsible(cfg, townships: Iterable[str], places: Iterable[str]) -> list[str]:
    """People responsible for these townships and places, in a stable order."""
    wanted_t, wanted_p = set(townships), set(places)
    out: list[str] = []
    for t in cfg.gazetteer.townships:
        t_names = {t.name, *t.aliases}
        hit_places = [p for p in t.places if {p.name, *p.aliases} & wanted_p]
        # An alert's places name townships too: an event about two townships carries one
        # in its township label and both in its places, and both leaders must be told.
        if not (t_names & (wanted_t | wanted_p) or hit_places):
            continue
        for p in hit_places:
            out += _names_for(cfg, p.leader) + _names_for(cfg, p.department)
        got = _names_for(cfg, t.leader) + _names_for(cfg, t.department)
        if not got and (t.leader or t.department):
            log.warning("grid: %s (%s / %s) maps to nobody in duty.people", t.name, t.leader,
                        t.department)
        out += got
    return list(dict.fromkeys(out))


def unmapped(cfg) -> list[str]:
    """Gazetteer leaders/departments that reach nobody (for check-config and heartbeat)."""
    if not cfg.duty.people:
        return []
    out = []
    for t in cfg.gazetteer.townships:
        for who in (t.leader, t.department):
            if who and not _names_for(cfg, who):
                out.append(f"{t.name}: {who}")
    return out
