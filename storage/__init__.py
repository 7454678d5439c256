"""Storage: the only package that imports ``elasticsearch``."""

from __future__ import annotations

from yuqing.config import Config

from .alerts_store import AlertStore, SilenceStore
from .client import StorageUnavailable, connect, timed_out, unavailable
from .items import ItemStore
from .reports_queries import ReportQueries, Span


def open_store(cfg: Config) -> ItemStore:
    es_cfg = cfg.elasticsearch
    return ItemStore(connect(es_cfg), es_cfg.prefix, shards=es_cfg.shards,
                     replicas=es_cfg.replicas)


def event_store(cfg: Config):
    """The events index, not touched until first used (ensure() runs on first upsert)."""
    from .events import EventStore

    es_cfg = cfg.elasticsearch
    return EventStore(connect(es_cfg), es_cfg.prefix, shards=es_cfg.shards,
                      replicas=es_cfg.replicas)


def open_event_store(cfg: Config):
    store = event_store(cfg)
    store.ensure()
    return store


def open_alert_stores(cfg: Config, deadline: float | None = None
                      ) -> tuple[AlertStore, SilenceStore]:
    """The alert-state and silence indices, created on first use (``deadline``: see
    ``connect``)."""
    es_cfg = cfg.elasticsearch
    es = connect(es_cfg, deadline)
    stores = (AlertStore(es, es_cfg.prefix, shards=es_cfg.shards, replicas=es_cfg.replicas),
              SilenceStore(es, es_cfg.prefix, shards=es_cfg.shards, replicas=es_cfg.replicas))
    for s in stores:
        s.ensure()
    return stores


def open_report_queries(cfg: Config, deadline: float | None = None) -> ReportQueries:
    """Read-only aggregations for reports (creates nothing; ``deadline``: see ``connect``)."""
    return ReportQueries(connect(cfg.elasticsearch, deadline), cfg.elasticsearch.prefix)


def open_console_queries(cfg: Config, deadline: float | None = None):
    """Read-only queries of the duty console (creates nothing; ``deadline``: see
    ``connect``)."""
    from .console import ConsoleQueries

    return ConsoleQueries(connect(cfg.elasticsearch, deadline), cfg.elasticsearch.prefix)


__all__ = ["AlertStore", "ItemStore", "ReportQueries", "SilenceStore", "Span",
           "StorageUnavailable", "connect", "open_alert_stores", "open_report_queries",
           "open_store", "timed_out", "unavailable"]
