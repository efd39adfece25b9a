#!/usr/bin/env bash
# A local OpenSearch cluster of several nodes on loopback, each a start.sh node with its own
# data/, logs/ and run/ (see README.md, "A cluster").
#
#   cluster.sh start          start every node (build on first use), wait until all have joined
#   cluster.sh stop           stop every node (SIGTERM by pid, as stop.sh)
#   cluster.sh start-node N   start node N alone (e.g. after `kill N`); waits until it answers
#   cluster.sh kill N         kill -9 node N (a crash, for failover drills)
#   cluster.sh urls           print the nodes' HTTP URLs, comma-separated (for OPENSEARCH_URL)
#   cluster.sh health         print _cluster/health
#
#   SEARCH_CLUSTER_NODES           how many nodes                       (default 3)
#   SEARCH_CLUSTER_PORT            HTTP port of node 1; node N: +N-1    (default 9210)
#   SEARCH_CLUSTER_TRANSPORT_PORT  transport port of node 1; node N: +N-1 (default 9310)
#   SEARCH_CLUSTER_HEAP            heap of each node                    (default 384m)
#   SEARCH_CLUSTER_DIR             where node-1/, node-2/, ... live     (default: ./cluster)
#   SEARCH_NODE_TIMEOUT            seconds to wait                      (default 180)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODES="${SEARCH_CLUSTER_NODES:-3}"
HTTP_BASE="${SEARCH_CLUSTER_PORT:-9210}"
TRANSPORT_BASE="${SEARCH_CLUSTER_TRANSPORT_PORT:-9310}"
HEAP="${SEARCH_CLUSTER_HEAP:-384m}"
DIR="${SEARCH_CLUSTER_DIR:-$HERE/cluster}"
TIMEOUT="${SEARCH_NODE_TIMEOUT:-180}"
CLUSTER_NAME=session-library-cluster

say() { echo "search-cluster: $*"; }

http_port() { echo $((HTTP_BASE + $1 - 1)); }
transport_port() { echo $((TRANSPORT_BASE + $1 - 1)); }

seeds() { # 127.0.0.1:T1,127.0.0.1:T2,...
    local n out=()
    for n in $(seq 1 "$NODES"); do out+=("127.0.0.1:$(transport_port "$n")"); done
    (IFS=,; echo "${out[*]}")
}

managers() { # node-1,node-2,...: every node is cluster-manager eligible
    local n out=()
    for n in $(seq 1 "$NODES"); do out+=("node-$n"); done
    (IFS=,; echo "${out[*]}")
}

urls() {
    local n out=()
    for n in $(seq 1 "$NODES"); do out+=("http://127.0.0.1:$(http_port "$n")"); done
    (IFS=,; echo "${out[*]}")
}

settings() { # the -E settings that make node N one of the cluster (one line: start.sh splits on spaces)
    echo "-Ecluster.name=$CLUSTER_NAME -Enode.name=node-$1 -Ediscovery.type=zen" \
        "-Ediscovery.seed_hosts=$(seeds) -Ecluster.initial_cluster_manager_nodes=$(managers)"
}

node_env() { # node_env N CMD...: run a start.sh/stop.sh for node N
    local n=$1
    shift
    SEARCH_NODE_STATE_DIR="$DIR/node-$n" \
        SEARCH_NODE_PORT="$(http_port "$n")" \
        SEARCH_NODE_TRANSPORT_PORT="$(transport_port "$n")" \
        SEARCH_NODE_HEAP="$HEAP" \
        SEARCH_NODE_TIMEOUT="$TIMEOUT" \
        SEARCH_NODE_SETTINGS="$(settings "$n")" \
        "$@"
}

get() { # get PORT PATH: print the JSON answer of one node, fail if it does not answer
    python3 - "$1" "$2" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}{sys.argv[2]}", timeout=5) as answer:
    print(answer.read().decode())
PY
}

wait_joined() { # until node 1 (or any node) reports all nodes in the cluster
    local started n
    started=$(date +%s)
    while true; do
        for n in $(seq 1 "$NODES"); do
            if get "$(http_port "$n")" "/_cluster/health?wait_for_nodes=$NODES&timeout=2s" 2>/dev/null \
                | grep -q "\"number_of_nodes\":$NODES,"; then
                say "$NODES nodes joined after $(($(date +%s) - started))s: $(urls)"
                return 0
            fi
        done
        if [ $(($(date +%s) - started)) -ge "$TIMEOUT" ]; then
            say "the nodes did not form a cluster within ${TIMEOUT}s; logs in $DIR/node-*/logs/" >&2
            tail -n 20 "$DIR"/node-*/logs/"$CLUSTER_NAME".log >&2 || true
            return 1
        fi
        sleep 1
    done
}

case "${1:-}" in
    start)
        mkdir -p "$DIR"
        # Launch all without waiting: no node answers until enough have joined to elect
        # a cluster manager. The first call also builds lib/ and the launcher.
        for n in $(seq 1 "$NODES"); do
            SEARCH_NODE_WAIT=0 node_env "$n" "$HERE/start.sh"
        done
        wait_joined
        ;;
    stop)
        for n in $(seq 1 "$NODES"); do node_env "$n" "$HERE/stop.sh"; done
        ;;
    start-node)
        node_env "${2:?node number}" "$HERE/start.sh"
        ;;
    kill)
        pidfile="$DIR/node-${2:?node number}/run/node.pid"
        pid="$(cat "$pidfile")"
        grep -qa SearchNode "/proc/$pid/cmdline" || { say "pid $pid is not a search node" >&2; exit 1; }
        kill -9 "$pid"
        say "killed node-$2 (pid $pid)"
        ;;
    urls) urls ;;
    health)
        for n in $(seq 1 "$NODES"); do
            get "$(http_port "$n")" "/_cluster/health?pretty" 2>/dev/null && exit 0
        done
        say "no node answers" >&2
        exit 1
        ;;
    *)
        echo "usage: $0 start|stop|start-node N|kill N|urls|health" >&2
        exit 2
        ;;
esac
