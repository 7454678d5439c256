"""Helpers for crawl tests: a config for local fixture sites, `yuqing crawl` in a new process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import yaml


def write_config(tmp_path: Path, sources: list[dict], **crawl: object) -> str:
    """A configuration for fixture sites; a fresh data_dir (state, spool) under tmp_path."""
    settings = {"download_delay": 0, "autothrottle": False, "retry_backoff_seconds": 0.2,
                "concurrent_per_domain": 4, **crawl}
    path = tmp_path / "county.yaml"
    path.write_text(textwrap.dedent(f"""\
        data_dir: {tmp_path / 'var'}
        gazetteer:
          county: 测试县
          townships:
            - name: 城关镇
              places: [{{name: 幸福小区}}]
            - name: 石桥镇
              places: [{{name: 新民村}}]
        """) + yaml.safe_dump({"crawl": settings, "sources": sources}, allow_unicode=True),
        encoding="utf-8")
    return str(path)


def crawl(config: str, *sources: str, env: dict[str, str] | None = None,
          at: datetime | None = None) -> subprocess.CompletedProcess[str]:
    """`yuqing crawl`; ``at`` moves the crawl's clock (back-offs judged as at that time)."""
    clock = ["--at", at.isoformat()] if at is not None else []
    proc = subprocess.run([sys.executable, "-m", "yuqing.cli", "--config", config, "crawl",
                           *clock, *sources], capture_output=True, text=True, timeout=240,
                          env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def summary(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    """The per-source summary table `yuqing crawl` prints, as {source: {column: value}}."""
    lines = proc.stdout.splitlines()
    header = lines[0].split()
    out: dict[str, dict[str, object]] = {}
    for line in lines[1:]:
        cells = line.split()
        row: dict[str, object] = dict(zip(header[1:], map(int, cells[1:len(header)]),
                                          strict=True))
        row["reasons"] = dict(c.rstrip(",").split("=") for c in cells[len(header):])
        out[cells[0]] = row
    return out
