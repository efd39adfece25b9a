#!/usr/bin/env bash
# `make test`: start what the tests need (the local OpenSearch node), run the suite, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

started_node=0
if [ -x search-node/start.sh ] && [ "${SEARCH_NODE:-1}" != 0 ]; then
  # In CI a node that fails to start fails the run; it is never skipped silently.
  search-node/start.sh
  started_node=1
  export OPENSEARCH_URL="http://127.0.0.1:${SEARCH_NODE_PORT:-9200}"
  export OPENSEARCH_TESTS=1
fi
cleanup() { [ $started_node = 1 ] && search-node/stop.sh || true; }
trap cleanup EXIT

# axe-core for the accessibility audit (tests/e2e), from the pinned package-lock.json.
if [ ! -f node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --silent
fi

$PY -m pytest "$@"
