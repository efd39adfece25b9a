"""gunicorn settings for `make serve` and deploy/systemd/session-library-web.service.

Environment: WEB_BIND (127.0.0.1:8000), WEB_WORKERS (processes), WEB_THREADS (threads per
process), WEB_TIMEOUT (seconds), WEB_ACCESS_LOG ("-" = stdout, "" = off)."""

import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Load Django once in the master: workers fork ready (faster start, shared memory pages).
preload_app = True
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
