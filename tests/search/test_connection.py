"""How the OpenSearch client is built from the settings: node list, failover, credentials.

The failover itself is tested against a real 3-node cluster in test_cluster.py; these check
the client that the settings produce (no request is sent)."""

import pytest
from django.test import override_settings

from search.engines import connection
from search.engines.opensearch import OpenSearchEngine


def test_one_url_or_a_comma_separated_list():
    assert connection.node_urls("http://127.0.0.1:9200") == ["http://127.0.0.1:9200"]
    assert connection.node_urls(" http://a:9200/, http://b:9200 ,") == ["http://a:9200", "http://b:9200"]
    with pytest.raises(ValueError, match="names no node"):
        connection.node_urls(" , ")


def test_replicas_default_to_none_on_one_node_and_one_on_a_cluster():
    assert OpenSearchEngine(url="http://a:9200", index="x").replicas == 0
    assert OpenSearchEngine(url="http://a:9200,http://b:9200,http://c:9200", index="x").replicas == 1
    with override_settings(OPENSEARCH_REPLICAS=2):
        assert OpenSearchEngine(url="http://a:9200", index="x").replicas == 2


def test_a_cluster_client_fails_over_and_a_single_node_does_not():
    single = OpenSearchEngine(url="http://a:9200", index="x").client.transport
    cluster = OpenSearchEngine(url="http://a:9200,http://b:9200,http://c:9200", index="x").client.transport
    assert single.max_retries == 0
    assert cluster.max_retries == 2 and cluster.retry_on_timeout is False
    assert sorted(host["host"] for host in cluster.hosts) == ["a", "b", "c"]


@override_settings(OPENSEARCH_USER="library", OPENSEARCH_PASSWORD="s3cret", OPENSEARCH_CA_CERTS="/etc/ca.pem")
def test_a_secured_cluster_gets_basic_auth_and_its_ca():
    transport = OpenSearchEngine(url="https://a:9200,https://b:9200", index="x").client.transport
    for node in transport.connection_pool.connections:
        assert node.headers["authorization"] == "Basic bGlicmFyeTpzM2NyZXQ="  # library:s3cret
        assert node.pool.ca_certs == "/etc/ca.pem" and node.pool.cert_reqs == "CERT_REQUIRED"
