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

# The worker runs without the autoreloader, in a session of its own so Ctrl+C reaches only the
# web server; stopping is ours: SIGTERM lets the running job finish, and if it is still busy
# after WORKER_STOP_GRACE seconds a second SIGTERM hands the job back to the queue (the next
# worker redoes it). A worker killed outright loses nothing either: its job's lease runs out
# and the next worker takes the job up (jobs/leases.py).
setsid $PY manage.py db_worker &
WORKER_PID=$!
stop_worker() {
    kill -TERM "$WORKER_PID" 2>/dev/null || return 0
    for _ in $(seq "${WORKER_STOP_GRACE:-10}"); do
        kill -0 "$WORKER_PID" 2>/dev/null || { wait "$WORKER_PID" 2>/dev/null || true; return 0; }
        sleep 1
    done
    echo "The worker is still busy: handing its job back to the queue."
    # Repeated: signals that reach Python while Whisper is inside one C call count as one.
    for second in $(seq 60); do
        kill -0 "$WORKER_PID" 2>/dev/null || { wait "$WORKER_PID" 2>/dev/null || true; return 0; }
        if [ $((second % 5)) = 1 ]; then kill -TERM "$WORKER_PID" 2>/dev/null || true; fi
        sleep 1
    done
    kill -KILL "$WORKER_PID" 2>/dev/null || true  # its job's lease runs out; another worker redoes it
    wait "$WORKER_PID" 2>/dev/null || true
}
trap stop_worker EXIT
trap 'exit 130' INT TERM HUP
echo "Worker running (pid $WORKER_PID). Site: http://$HOST:$PORT/  Admin: http://$HOST:$PORT/admin/"
$PY manage.py runserver "$HOST:$PORT"
