"""Fallback chains across both sections that set them, checked at configuration load.

A message fails over along ``alerting.receivers[].fallback``; a person's
(``person:NAME``) along ``duty.fallback``, or, for a person without channels, to the root
route's receiver (``duty.receivers.effective_alerting``). Two faults only show in the
combined graph:

- a loop through a person: ``duty.fallback: office`` with office's fallback
  ``person:甲`` bounces a message between them for ever, a new outbox row per hop;
- a configured fallback that reaches nobody: a receiver without channels and without a
  fallback of its own "delivers" by marking the message sent with nothing sent.

A receiver without channels that is not a fallback stays valid: the default
``duty-office`` is one, because the console is where its alerts are read (routing and
replay work before any robot is set up). Loops among ``alerting.receivers`` alone are
reported by ``AlertingConfig.problems``.
"""

from __future__ import annotations

from alerts.config import PERSON_PREFIX, Receiver


def _edges(cfg, receivers: dict[str, Receiver]) -> dict[str, tuple[str, str]]:
    """receiver -> (its fallback, the key that sets it)."""
    out: dict[str, tuple[str, str]] = {}
    index = {r.name: i for i, r in enumerate(cfg.alerting.receivers)}
    people = {f"{PERSON_PREFIX}{p.name}": j for j, p in enumerate(cfg.duty.people)}
    for name, r in receivers.items():
        if r.fallback is None:
            continue
        if name in index:
            out[name] = (r.fallback, f"alerting.receivers[{index[name]}].fallback")
        elif cfg.duty.fallback is not None:
            out[name] = (r.fallback, "duty.fallback")
        else:  # a person without channels: the root route's receiver catches
            out[name] = (r.fallback, f"alerting.route.receiver (duty.people[{people[name]}] "
                                     "has no channels)")
    return out


def _dead_end(start: str, receivers: dict[str, Receiver]) -> str | None:
    """The channel-less receiver without fallback that a message handed to ``start``
    ends at, if it does (None: it reaches channels, or loops, or names no receiver)."""
    cur, seen = start, set()
    while cur in receivers and not receivers[cur].channels and cur not in seen:
        seen.add(cur)
        if receivers[cur].fallback is None:
            return cur
        cur = receivers[cur].fallback
    return None


def fallback_problems(cfg) -> list[str]:
    from .receivers import effective_alerting

    receivers = {r.name: r for r in effective_alerting(cfg).receivers}
    edges = _edges(cfg, receivers)
    out: list[str] = []
    explicit = [(k, t) for t, k in edges.values() if not k.startswith("alerting.route")]
    for key, target in dict(explicit).items():
        end = _dead_end(target, receivers)
        if end is None:
            continue
        via = "" if end == target else f" and hands it to {end!r}, which has none either"
        out.append(f"{key}: receiver {target!r} has no channels{via}, so a message failed "
                   f"over to it reaches nobody; give it channels or a fallback")
    reported: set[frozenset[str]] = set()
    for start in edges:
        path, cur = [start], edges[start][0]
        while cur in edges and cur not in path:
            path.append(cur)
            cur = edges[cur][0]
        if cur != start or frozenset(path) in reported:
            continue
        keys = [edges[n][1] for n in path]
        if all(k.startswith("alerting.receivers") for k in keys):
            continue  # within one section: AlertingConfig.problems names it
        reported.add(frozenset(path))
        hops = "; ".join(f"{k}: {n!r} -> {edges[n][0]!r}" for n, k in zip(path, keys,
                                                                         strict=True))
        out.append(f"{keys[0]}: fallback loop {' -> '.join([*path, start])} ({hops}): a "
                   "message that fails would bounce between them for ever")
    return out
