"""Storage: the only package that imports ``elasticsearch``."""

from __future__ import annotations

from yuqing.config import Config

from .client import StorageUnavailable, connect
from .items import ItemStore


def open_store(cfg: Config) -> ItemStore:
    es_cfg = cfg.elasticsearch
    return ItemStore(connect(es_cfg), es_cfg.prefix, shards=es_cfg.shards,
                     replicas=es_cfg.replicas)


__all__ = ["ItemStore", "StorageUnavailable", "connect", "open_store"]
