#!/usr/bin/env bash
# Installs everything yuqing needs on a fresh Debian machine of this kind: system packages
# (Maven to fetch Elasticsearch, a JDK, CJK fonts for report charts, Chromium for the
# console's browser tests), a virtualenv with the
# project and its test dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v java >/dev/null 2>&1 || need_apt+=(default-jdk-headless)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_apt+=(fonts-noto-cjk fontconfig)
# The console's browser tests drive Debian's Chromium (never a downloaded browser build).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need_apt[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install: ${need_apt[*]} (needs root)" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

# Elasticsearch 9 needs Java 21+; say so now rather than at the first `yuqing es start`.
if ! .venv/bin/python - <<'PY'
from storage.node import LocalElasticsearch
from yuqing.config import load_config
cfg = load_config(None)
LocalElasticsearch(cfg.elasticsearch.local, cfg.data_path("es")).java_home()
PY
then
  echo "setup: WARNING no Java 21+ found; install one (Temurin 21/25 or openjdk-21) for Elasticsearch 9" >&2
fi
echo "setup: done (.venv ready)" >&2
