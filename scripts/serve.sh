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

# Task workers in sessions of their own, so Ctrl+C reaches only gunicorn; stopping is ours, as
# in scripts/run.sh: SIGTERM lets a running job finish, and a worker still busy after
# WORKER_STOP_GRACE seconds gets SIGTERM again, which hands its job back to the queue.
worker_pids=()
for _ in $(seq "$WORKERS"); do
  setsid $PY manage.py db_worker &
  worker_pids+=($!)
done
WEB_PID=""
alive() { for pid in "$@"; do kill -0 "$pid" 2>/dev/null && echo "$pid"; done; return 0; }
stop_workers() {
  [ ${#worker_pids[@]} -gt 0 ] || return 0
  kill -TERM "${worker_pids[@]}" 2>/dev/null || true
  for _ in $(seq "${WORKER_STOP_GRACE:-10}"); do
    [ -n "$(alive "${worker_pids[@]}")" ] || return 0
    sleep 1
  done
  echo "A worker is still busy: handing its job back to the queue."
  # Repeated: signals that reach Python while Whisper is inside one C call count as one.
  for second in $(seq 60); do
    busy=($(alive "${worker_pids[@]}"))
    [ ${#busy[@]} -gt 0 ] || return 0
    if [ $((second % 5)) = 1 ]; then kill -TERM "${busy[@]}" 2>/dev/null || true; fi
    sleep 1
  done
  busy=($(alive "${worker_pids[@]}"))
  [ ${#busy[@]} -eq 0 ] || kill -KILL "${busy[@]}" 2>/dev/null || true
}
stop() {
  [ -z "$WEB_PID" ] || kill -TERM "$WEB_PID" 2>/dev/null || true
  stop_workers
  for pid in "${worker_pids[@]}" $WEB_PID; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 130' INT TERM HUP
echo "Task workers: ${#worker_pids[@]} (pids ${worker_pids[*]:-none}). Site: http://$WEB_BIND/  Admin: http://$WEB_BIND/admin/  Health: http://$WEB_BIND/healthz"
.venv/bin/gunicorn --config config/gunicorn.py &
WEB_PID=$!
wait "$WEB_PID"
