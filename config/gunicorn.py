"""gunicorn settings for `make serve` and deploy/systemd/session-library-web.service.

Environment: WEB_BIND (127.0.0.1:8000), WEB_WORKERS (processes), WEB_THREADS (threads per
process), WEB_TIMEOUT (seconds), WEB_ACCESS_LOG ("-" = stdout, "" = off)."""

import gc
import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000").split(",")
# With the embedded engine (the default) a request is CPU work in this process: one
# single-threaded process per core. bench/load.py, 50 visitors on 2 cores: 2 x 1 kept the
# server's p95 at 60-83 ms; 2 x 2, 2 x 4 and 4 x 1 let requests share a core (threads also
# share one GIL) and doubled or tripled it, for no more throughput. Recordings do not tie a
# process up: nginx sends them (X-Accel-Redirect), and without nginx a range answer is at most
# 8 MiB (library/range_serving.py). Server time (Server-Timing app;dur) is a request's own work
# plus the time it waits for a core, so more busy processes than cores only inflates it.
# More cores: raise WEB_WORKERS with them, not WEB_THREADS.
#
# With OpenSearch (SEARCH_ENGINE=opensearch, the scale-out setup: the cluster on machines of
# its own) an uncached search waits for three answers of the node, longer than the 60-70 ms of
# CPU it takes here, and a single-threaded process serves nobody meanwhile, not even a cached
# search or a session page: two processes per core with two threads each by default. On one
# 2-core machine with the node beside it (bench/load.py, README "Load on PostgreSQL +
# OpenSearch") that let visitors wait less while the node answered slowly (a node not yet warm,
# a machine busy with other work), but with a warm node on a quiet machine the cores, not the
# processes, were the limit: the same req/s, and a higher server time (requests share a core).
_cores = max(2, os.cpu_count() or 2)
_waits_on_engine = os.environ.get("SEARCH_ENGINE", "").strip() == "opensearch"
workers = int(os.environ.get("WEB_WORKERS") or (2 * _cores if _waits_on_engine else _cores))
threads = int(os.environ.get("WEB_THREADS") or (2 if _waits_on_engine else 1))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Load Django once in the master: workers fork ready (faster start, shared memory pages).
preload_app = True


def pre_fork(server, worker):
    """Django, Wagtail and the URL/template caches are loaded by now: freeze them out of the
    garbage collector, so its full passes in the workers skip ~160,000 long-lived objects
    (and do not copy their memory pages). Session page, CPU p50 33 -> 29.5 ms."""
    gc.freeze()


# A fresh process now and then keeps slow leaks in check; jitter avoids all restarting at once.
max_requests = 2000
max_requests_jitter = 200
# nginx on this machine sets X-Forwarded-For/-Proto; trust them only from the loopback.
forwarded_allow_ips = os.environ.get("WEB_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
wsgi_app = "config.wsgi:application"
# No runtime control socket: its default path is per user, so two instances on one machine
# (tests, benchmarks, a second site) would fight over it.
control_socket_disable = True

accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
# The request id (ops/request_ids.py) and the time taken, for matching with the app's log lines.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms req=%({x-request-id}o)s'
errorlog = "-"
