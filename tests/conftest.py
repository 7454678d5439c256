"""Shared test helpers: corpus location and the tools/ loaders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


def corpus_path() -> Path:
    env = os.environ.get("YUQING_CORPUS")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def require_corpus(*parts: str) -> Path:
    path = corpus_path().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"development corpus not found at {path} "
                    "(put it at ../shared/corpus or set YUQING_CORPUS)")
    os.environ.setdefault("YUQING_CORPUS", str(corpus_path()))
    return path
