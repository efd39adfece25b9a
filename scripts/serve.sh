#!/usr/bin/env bash
# `make serve`: the production stack on this machine. gunicorn (WEB_WORKERS x WEB_THREADS) and
# WORKERS task workers, production settings, static files collected (served by WhiteNoise),
# migrations applied, the demo loaded when the library is empty. Stops everything on Ctrl-C.
#
# Plain http://HOST:PORT/ for a local demo (LOCAL_HTTP=1, the default here). Behind nginx with
# TLS set LOCAL_HTTP=0 and SECRET_KEY (README, Deploying); DATABASE_URL, SEARCH_ENGINE and
# OPENSEARCH_URL choose PostgreSQL and OpenSearch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=config.settings.production
export LOCAL_HTTP="${LOCAL_HTTP:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
WORKERS="${WORKERS:-1}"
export WEB_BIND="${WEB_BIND:-$HOST:$PORT}"

if [ -z "${SECRET_KEY:-}" ] && [ "$LOCAL_HTTP" = 1 ]; then
  # The local demo keeps one generated key (git-ignored), so logins survive a restart.
  if [ ! -s .secret-key ]; then
    (umask 077 && $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret-key)
  fi
  SECRET_KEY="$(cat .secret-key)"
  export SECRET_KEY
fi

$PY manage.py migrate --no-input
$PY manage.py collectstatic --no-input --verbosity 0
$PY manage.py load_demo --if-empty
$PY manage.py search_index --rebuild --if-needed
$PY manage.py ensure_admin

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT INT TERM
for _ in $(seq "$WORKERS"); do
  $PY manage.py db_worker &
  pids+=($!)
done
echo "Task workers running (pids ${pids[*]}). Site: http://$WEB_BIND/  Admin: http://$WEB_BIND/admin/  Health: http://$WEB_BIND/healthz"
.venv/bin/gunicorn --config config/gunicorn.py &
pids+=($!)
wait "${pids[-1]}"
