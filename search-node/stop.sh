#!/usr/bin/env bash
# Stop the local OpenSearch node started by start.sh: SIGTERM to the pid in
# run/node.pid, wait up to SEARCH_NODE_STOP_TIMEOUT seconds (default 30), then SIGKILL.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${SEARCH_NODE_STATE_DIR:-$HERE}"  # a cluster node's own folder (cluster.sh)
PIDFILE="$STATE/run/node.pid"
PORTFILE="$STATE/run/node.port"
WAIT="${SEARCH_NODE_STOP_TIMEOUT:-30}"

say() { echo "search-node: $*"; }

if [ ! -f "$PIDFILE" ]; then
    say "not running (no run/node.pid)"
    exit 0
fi
pid="$(cat "$PIDFILE" 2>/dev/null || true)"
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    say "not running (stale pid file removed)"
    rm -f "$PIDFILE" "$PORTFILE"
    exit 0
fi
# Only ever signal our own launcher, never whatever reused the pid.
if ! grep -qa 'SearchNode' "/proc/$pid/cmdline" 2>/dev/null; then
    say "pid $pid is not the search node; removing stale pid file, signalling nothing"
    rm -f "$PIDFILE" "$PORTFILE"
    exit 0
fi

say "stopping pid $pid ..."
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 $(( WAIT * 5 ))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$pid" 2>/dev/null; then
    say "still alive after ${WAIT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
fi
rm -f "$PIDFILE" "$PORTFILE"
say "stopped"
