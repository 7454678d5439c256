#!/usr/bin/env bash
# Sets up, starts the local Elasticsearch (unless YUQING_ES_URL names a cluster), and runs
# the whole test suite. This is the command .ci/run and the README use.
# Two pytest workers (YUQING_TEST_WORKERS; 0 runs in this process): most tests wait on
# sockets, sleeps and subprocesses, so two share two cores well (about 12 minutes instead
# of 19 here). Every test has its own index prefix and directories, so they do not meet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/yuqing es start
status=0
.venv/bin/python -m pytest -q -n "${YUQING_TEST_WORKERS:-2}" "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "test: pytest collected no tests: that is a failure here" >&2
fi
exit "$status"
