"""``Server-Timing: app;dur=<ms>`` on every response: the time Django spent on the request,
without the time it waited in the web server's queue. Browsers show it in their developer
tools; bench/load.py reads it to tell server time from queueing."""

import time


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response
