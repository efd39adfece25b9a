#!/usr/bin/env bash
# `make run`: migrate, load the demo, start the worker and the web server together.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.dev}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

$PY manage.py migrate --no-input
$PY manage.py load_demo
# The search index is a copy of the database: bring it in line (a few seconds).
$PY manage.py search_index --rebuild
$PY manage.py ensure_admin

$PY manage.py db_worker &
WORKER_PID=$!
trap 'kill $WORKER_PID 2>/dev/null || true; wait $WORKER_PID 2>/dev/null || true' EXIT INT TERM
echo "Worker running (pid $WORKER_PID). Site: http://$HOST:$PORT/  Admin: http://$HOST:$PORT/admin/"
$PY manage.py runserver "$HOST:$PORT"
