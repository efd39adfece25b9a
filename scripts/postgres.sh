#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks, from Debian's `postgresql` package.
#
#   scripts/postgres.sh start   initdb a fresh data directory, start the server, wait for it
#   scripts/postgres.sh stop    stop the server by the PID it recorded, delete the data directory
#   scripts/postgres.sh env     print `export DATABASE_URL=...` for the running server
#   scripts/postgres.sh url     print the DATABASE_URL alone
#
#   POSTGRES_PORT  TCP port on 127.0.0.1                              (default 55432)
#   POSTGRES_DIR   where the data directory lives       (default /tmp/session-library-pg-$PORT)
#
# Loopback only, trust authentication, durability off (fsync, synchronous_commit): a server
# for tests, never for data. initdb and postgres refuse to run as root, so as root both run
# as the unprivileged `postgres` user the Debian package creates, owning the data directory.
set -euo pipefail

PORT="${POSTGRES_PORT:-55432}"
DIR="${POSTGRES_DIR:-${TMPDIR:-/tmp}/session-library-pg-$PORT}"
DATA="$DIR/data"
LOG="$DIR/server.log"
PIDFILE="$DIR/server.pid"
DB_USER=session_library
DB_NAME=session_library
URL="postgres://$DB_USER@127.0.0.1:$PORT/$DB_NAME"

say() { echo "postgres: $*"; }

pg_bin() { # the newest Debian server binaries (/usr/local/bin/pg_ctl may be anything)
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] || {
        say "Debian's postgresql package is not installed (scripts/install-system-deps.sh test)" >&2
        exit 1
    }
    echo "$dir"
}

# Server programs run as the data directory's owner (never root).
if [ "$(id -u)" -eq 0 ]; then AS_OWNER=(runuser -u postgres --); else AS_OWNER=(); fi

our_pid() { # the running postmaster we started, if any
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    grep -qa "$DATA" "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

ready() {
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U "$DB_USER" 2>/dev/null
}

start() {
    BIN="$(pg_bin)"
    if pid="$(our_pid)"; then
        say "already running (pid $pid) at $URL"
        return 0
    fi
    if ready; then
        say "something else already answers on 127.0.0.1:$PORT (not started by this script)" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        say "running as root needs the 'postgres' user (Debian's postgresql package creates it)" >&2
        exit 1
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
    chmod 700 "$DIR"
    "${AS_OWNER[@]}" "$BIN/initdb" -D "$DATA" -U "$DB_USER" -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
    # setsid + nohup: the server outlives this script and ignores the caller's Ctrl-C.
    # The socket goes in our own directory (the Debian default /var/run/postgresql may not exist).
    nohup setsid "${AS_OWNER[@]}" "$BIN/postgres" -D "$DATA" -p "$PORT" -c listen_addresses=127.0.0.1 \
        -c unix_socket_directories="$DIR" -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off -c max_connections=100 -c shared_buffers=64MB \
        </dev/null >>"$LOG" 2>&1 &
    local pid=$!
    for _ in $(seq 1 150); do
        if ready; then break; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            say "the server exited during start-up:" >&2
            tail -n 30 "$LOG" >&2
            exit 1
        fi
        sleep 0.2
    done
    ready || { say "no answer on 127.0.0.1:$PORT after 30 s" >&2; tail -n 30 "$LOG" >&2; exit 1; }
    # The postmaster's own PID (runuser forks), as the server wrote it.
    head -n 1 "$DATA/postmaster.pid" >"$PIDFILE"
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" "$DB_NAME"
    say "up (pid $(cat "$PIDFILE")) at $URL; data in $DATA"
}

stop() {
    local pid
    if ! pid="$(our_pid)"; then
        say "not running"
        rm -rf "$DIR"
        return 0
    fi
    # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, exit.
    kill -INT "$pid"
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "still alive after 10 s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -rf "$DIR"
    say "stopped (pid $pid)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) echo "export DATABASE_URL=$URL" ;;
    url) echo "$URL" ;;
    *)
        echo "usage: $0 start|stop|env|url" >&2
        exit 2
        ;;
esac
