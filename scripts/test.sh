#!/usr/bin/env bash
# `make test`: start what the tests need (the local OpenSearch node), run the suite, stop it.
#
# Two legs:
#   1. the whole suite on SQLite (the default database), or the tests named in "$@";
#   2. without arguments, the database-dependent tests again on a real PostgreSQL
#      (scripts/postgres.sh: a throwaway server on 127.0.0.1:$POSTGRES_PORT, stopped by PID),
#      including the several-workers test that only PostgreSQL runs. POSTGRES_TESTS=0 skips it.
# With arguments and TEST_DATABASE=postgres, the named tests run on PostgreSQL only.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# What leg 2 runs: models, importer, tasks and workers, search service, privacy, reports.
# Whisper and browser tests (slow), the engine-only OpenSearch and cluster tests and the
# nginx test (it copies the test database into a SQLite file) add nothing there; the real
# worker-process tests (kill -9, publishing while a worker writes) do, though slow: about
# 75 s more, and they exercise PostgreSQL's locking, not SQLite's.
POSTGRES_LEG=(tests --ignore=tests/e2e --ignore=tests/deploy --ignore=tests/search/test_opensearch_engine.py
  -m "(not slow or worker_process) and not cluster")

started_node=0
started_pg=0
cleanup() {
  [ $started_node = 1 ] && search-node/stop.sh || true
  [ $started_pg = 1 ] && scripts/postgres.sh stop || true
}
trap cleanup EXIT

if [ -x search-node/start.sh ] && [ "${SEARCH_NODE:-1}" != 0 ]; then
  # In CI a node that fails to start fails the run; it is never skipped silently.
  search-node/start.sh
  started_node=1
  export OPENSEARCH_URL="http://127.0.0.1:${SEARCH_NODE_PORT:-9200}"
  export OPENSEARCH_TESTS=1
fi

# axe-core for the accessibility audit (tests/e2e), from the pinned package-lock.json.
if [ ! -f node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --silent
fi

on_postgres() { # on_postgres PYTEST-ARGS...: run pytest against a fresh throwaway server
  scripts/postgres.sh start
  started_pg=1
  DATABASE_URL="$(scripts/postgres.sh url)" $PY -m pytest "$@"
}

if [ "${TEST_DATABASE:-}" = postgres ]; then
  on_postgres "$@"
  exit
fi

# Both legs run even when the first fails, so one run shows every failure.
status=0
$PY -m pytest "$@" || status=$?
if [ $# -eq 0 ] && [ "${POSTGRES_TESTS:-1}" != 0 ]; then
  echo "---- the database-dependent tests again, on PostgreSQL ----"
  on_postgres "${POSTGRES_LEG[@]}" || status=$?
fi
exit $status
