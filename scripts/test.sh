#!/usr/bin/env bash
# Sets up, starts the local Elasticsearch (unless YUQING_ES_URL names a cluster), and runs
# the whole test suite. This is the command .ci/run and the README use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/yuqing es start
status=0
.venv/bin/python -m pytest -q "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "test: pytest collected no tests: that is a failure here" >&2
fi
exit "$status"
