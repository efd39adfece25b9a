from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


@never_cache
@require_GET
def healthz(request):
    """For the proxy or orchestrator: 200 when the site can serve, 503 with the reason otherwise."""
    result = health.report()
    return JsonResponse(result, status=200 if result["ok"] else 503)
