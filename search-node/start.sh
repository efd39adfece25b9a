#!/usr/bin/env bash
# Start the local OpenSearch 2.19.6 node (see README.md) in the background.
#
#   SEARCH_NODE_PORT     HTTP port on 127.0.0.1          (default 9200)
#   SEARCH_NODE_HEAP     JVM heap, -Xms = -Xmx            (default 512m)
#   SEARCH_NODE_TIMEOUT  seconds to wait for the node     (default 120)
#
# For one node of a cluster (cluster.sh sets these; see README.md):
#   SEARCH_NODE_STATE_DIR       its data/, logs/, run/   (default: this folder)
#   SEARCH_NODE_TRANSPORT_PORT  transport port           (default: first free of 9300-9400)
#   SEARCH_NODE_SETTINGS        more -Ekey=value settings, space-separated
#   SEARCH_NODE_WAIT            0: return once launched, do not wait for _cluster/health
#                               (a cluster answers only when enough nodes have joined)
#
# Builds on first use (Maven Central jars into lib/, launcher into build/).
# Idempotent: exits 0 straight away when the node is already up.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${SEARCH_NODE_PORT:-9200}"
HEAP="${SEARCH_NODE_HEAP:-512m}"
TIMEOUT="${SEARCH_NODE_TIMEOUT:-120}"
OPENSEARCH_VERSION=2.19.6

TRANSPORT_PORT="${SEARCH_NODE_TRANSPORT_PORT:-9300-9400}"
STATE="${SEARCH_NODE_STATE_DIR:-$HERE}"
read -r -a EXTRA_SETTINGS <<<"${SEARCH_NODE_SETTINGS:-}"

LIB="$HERE/lib"
CLASSES="$HERE/build/classes"
RUN="$STATE/run"
LOGS="$STATE/logs"
DATA="$STATE/data"
PIDFILE="$RUN/node.pid"
PORTFILE="$RUN/node.port"
LOGFILE="$LOGS/session-library.log"
CONSOLE="$LOGS/console.log"

say() { echo "search-node: $*"; }

health() { # health PORT -> 0 when the node answers _cluster/health
    local url="http://127.0.0.1:$1/_cluster/health"
    if command -v curl >/dev/null; then
        curl -fsS --max-time 2 "$url" >/dev/null 2>&1
    else
        python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$url" >/dev/null 2>&1
    fi
}

our_pid() { # our_pid -> prints the pid of our running node, if any
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    grep -qa 'SearchNode' "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

tail_logs() {
    for f in "$CONSOLE" "$LOGFILE"; do
        if [ -s "$f" ]; then
            echo "---- last lines of $f ----" >&2
            tail -n 60 "$f" >&2
        fi
    done
}

build() {
    command -v java >/dev/null || { say "java (17+) is required" >&2; exit 1; }
    # Jars: rebuilt when missing or when pom.xml changed since the last copy.
    if [ ! -f "$LIB/.complete" ] || [ "$HERE/pom.xml" -nt "$LIB/.complete" ]; then
        command -v mvn >/dev/null || { say "mvn is required to fetch the jars" >&2; exit 1; }
        say "fetching OpenSearch $OPENSEARCH_VERSION jars from Maven Central into lib/ ..."
        rm -rf "$LIB"
        mkdir -p "$LOGS"
        if ! (cd "$HERE" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$LIB" -DincludeScope=runtime) \
            >"$LOGS/build.log" 2>&1; then
            sed 's/\x1b\[[0-9;]*m//g' "$LOGS/build.log" >&2
            say "mvn dependency:copy-dependencies failed (see above, logs/build.log)" >&2
            exit 1
        fi
        [ -f "$LIB/opensearch-$OPENSEARCH_VERSION.jar" ] || { say "lib/opensearch-$OPENSEARCH_VERSION.jar missing after mvn" >&2; exit 1; }
        touch "$LIB/.complete"
    fi
    # Launcher: recompiled when missing or older than its source / the jars.
    if [ ! -f "$CLASSES/SearchNode.class" ] \
        || [ "$HERE/src/SearchNode.java" -nt "$CLASSES/SearchNode.class" ] \
        || [ "$LIB/.complete" -nt "$CLASSES/SearchNode.class" ]; then
        say "compiling launcher ..."
        rm -rf "$CLASSES"
        mkdir -p "$CLASSES"
        javac -nowarn -cp "$LIB/*" -d "$CLASSES" "$HERE/src/SearchNode.java"
    fi
}

# --- already running? -------------------------------------------------------
if pid="$(our_pid)"; then
    running_port="$(cat "$PORTFILE" 2>/dev/null || echo "$PORT")"
    if [ "$running_port" != "$PORT" ]; then
        say "already running (pid $pid) on port $running_port, not $PORT; run stop.sh first" >&2
        exit 1
    fi
    if health "$PORT"; then
        say "already running (pid $pid) on http://127.0.0.1:$PORT"
        exit 0
    fi
    say "pid $pid is alive but not answering yet; waiting ..."
else
    rm -f "$PIDFILE" "$PORTFILE"
    if health "$PORT"; then
        say "something else already answers on http://127.0.0.1:$PORT (not started by this script)" >&2
        exit 1
    fi

    build
    mkdir -p "$RUN/tmp" "$LOGS" "$DATA"
    : >"$CONSOLE"

    JAVA_OPTS=(
        "-Xms$HEAP" "-Xmx$HEAP" -Xss1m
        -XX:+UseG1GC -XX:G1ReservePercent=25 -XX:InitiatingHeapOccupancyPercent=30
        -XX:-OmitStackTraceInFastThrow -XX:+ShowCodeDetailsInExceptionMessages
        "-XX:ErrorFile=$LOGS/hs_err_pid%p.log"
        "-Djava.io.tmpdir=$RUN/tmp"
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djna.nosys=true
        -Dopensearch.networkaddress.cache.ttl=60 -Dopensearch.networkaddress.cache.negative.ttl=10
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true
        -Dio.netty.recycler.maxCapacityPerThread=0 -Dio.netty.allocator.numDirectArenas=0
        -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true
        -Djava.locale.providers=SPI,COMPAT
    )
    say "starting on http://127.0.0.1:$PORT (heap $HEAP) ..."
    # setsid: own session, so a Ctrl-C in the calling terminal does not reach the node.
    # (In a non-interactive shell setsid execs in place, so $! is the java pid.)
    cd "$HERE"
    nohup setsid java "${JAVA_OPTS[@]}" -cp "$CLASSES:$LIB/*" SearchNode \
        "-Epath.home=$HERE" "-Epath.data=$DATA" "-Epath.logs=$LOGS" \
        "-Ehttp.port=$PORT" "-Etransport.port=$TRANSPORT_PORT" "${EXTRA_SETTINGS[@]}" \
        </dev/null >>"$CONSOLE" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$PORT" >"$PORTFILE"
    if [ "${SEARCH_NODE_WAIT:-1}" = 0 ]; then
        say "launched (pid $pid); not waiting for it"
        exit 0
    fi
fi

# --- wait for _cluster/health -------------------------------------------------
start_ts=$(date +%s)
while true; do
    if health "$PORT"; then
        say "up (pid $pid) on http://127.0.0.1:$PORT after $(( $(date +%s) - start_ts ))s; logs in $LOGS/"
        exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        say "node process $pid exited during startup" >&2
        rm -f "$PIDFILE" "$PORTFILE"
        tail_logs
        exit 1
    fi
    if [ $(( $(date +%s) - start_ts )) -ge "$TIMEOUT" ]; then
        say "no answer from http://127.0.0.1:$PORT/_cluster/health after ${TIMEOUT}s (pid $pid left running; stop.sh stops it)" >&2
        tail_logs
        exit 1
    fi
    sleep 1
done
