"""Every document/query DSL name the search app uses, imported in this one module.

The engine (search/engines/opensearch.py) speaks the elasticsearch-dsl style API —
``Document``/``Search``/``Q``/``A`` — through these names only. Today they come from
opensearch-py (the maintained fork of elasticsearch-dsl, same API), because current
Elasticsearch clients refuse to talk to OpenSearch servers. An Elasticsearch 8/9 flavour
is a swap of this module to ``elasticsearch``/``elasticsearch.dsl`` (same names; the
client class is ``Elasticsearch`` and the exception module moves), nothing else."""

from opensearchpy import (
    A,
    Date,
    Document,
    Float,
    Index,
    Integer,
    Keyword,
    Object,
    Q,
    Search,
    Text,
    analyzer,
    connections,
    token_filter,
)
from opensearchpy import OpenSearch as Client
from opensearchpy.exceptions import (
    ConnectionError,
    ConnectionTimeout,
    NotFoundError,
    RequestError,
    TransportError,
)
from opensearchpy.helpers import BulkIndexError, bulk, streaming_bulk

# Errors that mean "the engine is not there (or not answering)", as opposed to a bad request.
UNREACHABLE_ERRORS = (ConnectionError, ConnectionTimeout)

__all__ = [
    "A",
    "BulkIndexError",
    "Client",
    "ConnectionError",
    "ConnectionTimeout",
    "Date",
    "Document",
    "Float",
    "Index",
    "Integer",
    "Keyword",
    "NotFoundError",
    "Object",
    "Q",
    "RequestError",
    "Search",
    "Text",
    "TransportError",
    "UNREACHABLE_ERRORS",
    "analyzer",
    "bulk",
    "connections",
    "streaming_bulk",
    "token_filter",
]
