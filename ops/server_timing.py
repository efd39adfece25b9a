"""``Server-Timing: app;dur=<ms>, cpu;dur=<ms>`` on every response: the time Django spent on
the request, without the time it waited in the web server's queue, and the CPU time this
process's thread used for it. Browsers show both in their developer tools; bench/load.py
reads them to tell server time from queueing, and a request's own cost from the time it
waited for a core on a busy machine (CPU time spent in another process, e.g. an OpenSearch
node or PostgreSQL, is not in ``cpu``). Entries a view set itself (the search page's
``cache;desc=hit``) are kept after these."""

import time


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started, cpu_started = time.perf_counter(), time.thread_time()
        response = self.get_response(request)
        app_ms = (time.perf_counter() - started) * 1000
        cpu_ms = (time.thread_time() - cpu_started) * 1000
        entries = [f"app;dur={app_ms:.1f}", f"cpu;dur={cpu_ms:.1f}"]
        if response.has_header("Server-Timing"):
            entries.append(response["Server-Timing"])
        response["Server-Timing"] = ", ".join(entries)
        return response
