"""The one place that builds an Elasticsearch client from configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exc

from yuqing.config import ElasticsearchConfig


class StorageUnavailable(Exception):
    """Elasticsearch cannot be reached or refused the request; callers spool and retry."""


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the cluster is away (down, restarting, no master, overloaded)
    rather than a fault in the request: what a reader should tell its user, not crash on."""
    if isinstance(exc, StorageUnavailable | es_exc.ConnectionError | es_exc.ConnectionTimeout):
        return True
    return isinstance(exc, es_exc.ApiError) and (exc.meta.status >= 500
                                                 or exc.meta.status == 429)


def timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is the cluster taking a request and not answering in time (hung,
    overloaded) rather than refusing the connection: the officer is told which."""
    return isinstance(exc, es_exc.ConnectionTimeout)


def connect(cfg: ElasticsearchConfig, deadline: float | None = None) -> Elasticsearch:
    """A client for every configured host (several hosts = a real cluster, round-robin).

    ``deadline``: for someone waiting on the answer (the console), each request gets that
    many seconds and one retry instead of ``request_timeout`` and two, so a hung node
    costs about twice ``deadline``, not three times ``request_timeout`` (90 s)."""
    api_key = os.environ.get(cfg.api_key_env) if cfg.api_key_env else None
    return Elasticsearch(
        cfg.resolved_hosts(),
        api_key=api_key,
        request_timeout=deadline if deadline is not None else cfg.request_timeout,
        retry_on_timeout=True,
        max_retries=1 if deadline is not None else 2,
    )


def cluster_health(es: Elasticsearch) -> str | None:
    try:
        return str(es.cluster.health(timeout="2s")["status"])
    except Exception:  # noqa: BLE001 - any transport failure means "not reachable"
        return None


def search_pages(es: Elasticsearch, index: str, query: dict[str, Any], sort: list[Any],
                 page: int = 1000, **extra: Any) -> Iterator[dict[str, Any]]:
    """Every hit of ``query``, in pages of ``page`` by search_after on ``sort`` (which must
    end on a unique field): a bounded search would silently leave the rest out, and
    from/size stops at 10,000."""
    after: list[Any] | None = None
    while True:
        more = {"search_after": after} if after is not None else {}
        hits = es.search(index=index, query=query, size=page, sort=sort, **extra,
                         **more)["hits"]["hits"]
        yield from hits
        if len(hits) < page:
            return
        after = hits[-1]["sort"]
