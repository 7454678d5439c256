"""Administrative operations on a whole index prefix (demo resets, test clean-up)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from elasticsearch import Elasticsearch, helpers

from yuqing.records import SHANGHAI

from .items import MAPPING_VERSION, ItemStore

_ITEM_INDEX = re.compile(r"^items-v(\d+)-(\d{4}\.\d{2})$")


def drop_prefix(es: Elasticsearch, prefix: str) -> list[str]:
    """Delete every index and index template under ``<prefix>-``; returns index names.

    Names are listed first and deleted explicitly because clusters refuse wildcard
    deletes (action.destructive_requires_name)."""
    names = sorted(es.options(ignore_status=404).indices.get(index=f"{prefix}-*",
                                                             expand_wildcards="all"))
    if names:
        es.indices.delete(index=",".join(names))
    templates = es.options(ignore_status=404).indices.get_index_template(name=f"{prefix}-*")
    for tpl in templates.get("index_templates", []):
        es.indices.delete_index_template(name=tpl["name"])
    return names


def _item_indices(es: Elasticsearch, prefix: str) -> dict[str, tuple[int, str]]:
    """Monthly item indices: name -> (mapping version, 'YYYY.MM')."""
    out = {}
    for name in es.options(ignore_status=404).indices.get(index=f"{prefix}-items-v*",
                                                          expand_wildcards="open"):
        m = _ITEM_INDEX.match(name[len(prefix) + 1:])
        if m:
            out[name] = (int(m.group(1)), m.group(2))
    return out


def retention_cutoff(now: datetime, months: int) -> datetime:
    """The first moment retention keeps: the start of the month ``months`` months before
    ``now``'s (Beijing calendar)."""
    local = now.astimezone(SHANGHAI)
    m = local.year * 12 + local.month - 1 - months  # months since year 0
    return datetime(m // 12, m % 12 + 1, 1, tzinfo=SHANGHAI)


def apply_retention(es: Elasticsearch, prefix: str, now: datetime, months: int,
                    *, dry_run: bool = False) -> list[str]:
    """Delete monthly item indices whose month ended more than ``months`` months ago.

    The minimal distribution has no ILM; this is the whole retention policy (``yuqing es
    retention``, and daily from ``yuqing run`` at ``scheduler.retention``). Returns the
    indices deleted (or
    that would be)."""
    first_kept = retention_cutoff(now, months)
    doomed = [name for name, (_, ym) in sorted(_item_indices(es, prefix).items())
              if (int(ym[:4]), int(ym[5:])) < (first_kept.year, first_kept.month)]
    if doomed and not dry_run:
        es.indices.delete(index=",".join(doomed))
    return doomed


def migrate_items(es: Elasticsearch, store: ItemStore) -> dict[str, int]:
    """Copy every item index of an older mapping version into the current one, then swap
    the alias in one atomic step and drop the old indices: a mapping change without
    downtime. Copying is client-side (scan + bulk): the minimal node has no _reindex.
    Returns documents copied per old index.

    A copy that fails raises before the swap: the old indices go on serving, and a second
    run completes the job. The crawl goes on writing meanwhile: an item already stored is
    written where it is (an old index), so what was written there during the copy is
    copied again after the swap, before the old index goes. Copies keep their document
    version, so a later fetch already in the new index is never overwritten."""
    store.ensure_template()
    started = datetime.now(UTC)  # indexed_at is the writes' wall-clock time
    old = {n: v for n, v in _item_indices(es, store.prefix).items()
           if v[0] < MAPPING_VERSION}
    pairs = [(name, f"{store.prefix}-items-v{MAPPING_VERSION}-{ym}")
             for name, (_, ym) in sorted(old.items())]
    copied: dict[str, int] = {}
    for name, target in pairs:
        if not es.indices.exists(index=target):
            es.indices.create(index=target)
            # Keep the copy out of searches until it is complete (no duplicates meanwhile).
            es.indices.delete_alias(index=target, name=store.alias)
        copied[name] = _copy(es, name, target, {"match_all": {}})
    if not pairs:
        return copied
    # Every target joins, even one a failed earlier run created and left outside.
    es.indices.update_aliases(actions=[
        *({"add": {"index": target, "alias": store.alias}} for _, target in pairs),
        *({"remove": {"index": name, "alias": store.alias, "must_exist": False}}
          for name, _ in pairs)])
    since = {"range": {"indexed_at": {"gte": started.isoformat()}}}
    for name, target in pairs:
        es.indices.refresh(index=name)
        copied[name] += _copy(es, name, target, since)
    es.indices.delete(index=",".join(name for name, _ in pairs))
    return copied


def _copy(es: Elasticsearch, source: str, target: str, query: dict) -> int:
    """Documents of ``source`` matching ``query`` into ``target`` with their versions;
    raises listing what the target refused (a later version there is no refusal)."""
    done, refused = 0, []
    actions = ({"_op_type": "index", "_index": target, "_id": hit["_id"],
                "version": hit["_version"], "version_type": "external_gte",
                "_source": hit["_source"]}
               for hit in helpers.scan(es, index=source, query={"query": query},
                                       version=True))
    for ok, info in helpers.streaming_bulk(es, actions, raise_on_error=False,
                                           max_retries=3, retry_on_status=(429, 503)):
        op = info.get("index", {})
        if ok:
            done += 1
        elif op.get("status") != 409:
            refused.append((op.get("_id"), op.get("error")))
    if refused:
        raise MigrationError(f"{target} refused {len(refused)} documents of {source} "
                             f"(the old index still serves): {refused[:5]}")
    return done


class MigrationError(RuntimeError):
    pass
