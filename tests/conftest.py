"""Shared fixtures: a real local Elasticsearch node, unique index prefixes, local sites."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from yuqing.config import Config, load_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # the corpus loaders shared with tools/


def corpus_path() -> Path:
    env = os.environ.get("YUQING_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "corpus"


def require_corpus(*parts: str) -> Path:
    """A path in ../shared/corpus, or skip the test with the reason when it is absent."""
    path = corpus_path().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"development corpus not found at {path} "
                    "(put it at ../shared/corpus or set YUQING_CORPUS)")
    os.environ.setdefault("YUQING_CORPUS", str(corpus_path()))
    return path


@pytest.fixture(scope="session")
def base_config() -> Config:
    return load_config(None)


@pytest.fixture(scope="session")
def es_url(base_config: Config) -> str:
    """The node the suite runs against: $YUQING_ES_URL, else the local node (started here
    with the project's own command path if it is not running yet)."""
    if base_config.elasticsearch.external:
        return base_config.elasticsearch.resolved_hosts()[0]
    import fcntl

    from storage.node import LocalElasticsearch

    node = LocalElasticsearch(base_config.elasticsearch.local, ROOT / "var" / "es")
    # pytest-xdist workers each get here: one starts the node, the others find it running.
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / "es-start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        node.start()
    return node.url


@pytest.fixture
def prefix(es_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A unique index prefix for one test; every index and template under it is removed."""
    from elasticsearch import Elasticsearch

    name = f"t{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("YUQING_INDEX_PREFIX", name)
    monkeypatch.setenv("YUQING_ES_URL", es_url)
    yield name
    from storage.admin import drop_prefix

    drop_prefix(Elasticsearch(es_url), name)


@pytest.fixture
def store(prefix: str, es_url: str):
    from storage import ItemStore
    from storage.client import connect
    from yuqing.config import ElasticsearchConfig

    s = ItemStore(connect(ElasticsearchConfig(hosts=[es_url])), prefix)
    s.ensure_template()
    return s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def node(es_url, base_config, monkeypatch):
    """A second, throw-away local node (the suite's node keeps running), stopped and
    removed afterwards."""
    from storage.node import LocalElasticsearch
    from yuqing.config import LocalNode

    if base_config.elasticsearch.external:
        pytest.skip("an external cluster is configured; no throw-away node is managed")
    # Set for the suite's node (e.g. YUQING_ES_PORT=9231); they would override this one's.
    for var in ("YUQING_ES_PORT", "YUQING_ES_HOME"):
        monkeypatch.delenv(var, raising=False)
    # Under var/ (world-searchable), not pytest's 0700 tmp dir: the node runs as its own user.
    home = ROOT / "var" / "test-nodes" / uuid.uuid4().hex[:8]
    n = LocalElasticsearch(LocalNode(port=free_port(), heap="256m"), home,
                           dist_root=ROOT / "var" / "es" / "dist")
    yield n
    if n._pid():
        n.stop()
    shutil.rmtree(home, ignore_errors=True)
