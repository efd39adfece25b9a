"""How the OpenSearch engine reaches its nodes: one URL or a cluster's list, credentials, CA.

``OPENSEARCH_URL`` holds one node URL or several, comma-separated (the nodes of a cluster).
With several, the client spreads requests over them and, when one cannot be reached, marks
it dead and sends the request to the next: a stopped node costs one refused connection,
not a failed search. With one URL there is nothing to fail over to, so an unreachable node
surfaces at once (``EngineUnavailable`` in the engine).

A secured cluster (the security plugin, TLS) is reached with ``OPENSEARCH_USER`` /
``OPENSEARCH_PASSWORD`` (HTTP basic authentication) and ``OPENSEARCH_CA_CERTS`` (the PEM file
of the CA that signed the nodes' certificates; without it the system's CAs are used).
Certificates are always verified for https URLs.
"""

from __future__ import annotations

from search import dsl


def node_urls(url: str | list[str] | tuple[str, ...]) -> list[str]:
    """The node URLs in ``url``: a comma-separated string or a list of them."""
    parts = url.split(",") if isinstance(url, str) else list(url)
    urls = [part.strip().rstrip("/") for part in parts if part and part.strip()]
    if not urls:
        raise ValueError("OPENSEARCH_URL names no node")
    return urls


def default_replicas(url) -> int:
    """Replicas of the moments index when none is configured: one per extra copy a cluster
    can hold (0 for a single node, where a replica could never be allocated; 1 for a cluster)."""
    return 0 if len(node_urls(url)) == 1 else 1


def make_client(
    url,
    *,
    timeout: float,
    user: str = "",
    password: str = "",
    ca_certs: str = "",
):
    """An OpenSearch client for the node(s) in ``url``."""
    hosts = node_urls(url)
    options = {}
    if user:
        options["http_auth"] = (user, password)
    if ca_certs:
        options["ca_certs"] = ca_certs
    if any(host.startswith("https://") for host in hosts):
        options["verify_certs"] = True
    return dsl.Client(
        hosts=hosts,
        timeout=timeout,
        # A connection error is retried on each *other* node once; never a timeout (a slow
        # cluster is not helped by asking it again) and never on a single node.
        max_retries=len(hosts) - 1,
        retry_on_timeout=False,
        # Connections kept per node: a rebuild sends its bulk requests on several at once.
        pool_maxsize=8,
        **options,
    )


def configured() -> dict:
    """Shards, replicas and credentials from Django settings; empty when Django is not set up
    (the engine also runs standalone, e.g. in bench/search.py)."""
    from django.conf import settings

    if not settings.configured:
        return {}
    return {
        "replicas": getattr(settings, "OPENSEARCH_REPLICAS", None),
        "shards": getattr(settings, "OPENSEARCH_SHARDS", None),
        "credentials": {
            "user": getattr(settings, "OPENSEARCH_USER", "") or "",
            "password": getattr(settings, "OPENSEARCH_PASSWORD", "") or "",
            "ca_certs": getattr(settings, "OPENSEARCH_CA_CERTS", "") or "",
        },
    }
