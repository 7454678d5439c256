"""Administrative operations on a whole index prefix (demo resets, test clean-up)."""

from __future__ import annotations

from elasticsearch import Elasticsearch


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
