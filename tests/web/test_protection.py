"""Protection of the gateway: limits, timeouts, persisted queries, CSRF, introspection, rate limits."""
from __future__ import annotations

import hashlib
import time

import pytest
import redis

from support import Gateway

DEEP = "{ inferenceServices { edges { node { model { inferenceServices { edges { node { model { " \
       "inferenceServices { edges { node { model { inferenceServices { edges { node { name } } } } } } } } } } } } } } } }"


@pytest.mark.parametrize("query, code", [
    (DEEP, "QUERY_TOO_DEEP"),
    ("{ " + " ".join(f"a{i}: clusterSummary {{ services }}" for i in range(40)) + " }", "TOO_MANY_ALIASES"),
    ("{ " + "__typename " * 11_000 + "}", "TOO_MANY_TOKENS"),
    ("{ inferenceServices(first: 1000) { edges { node { model { inferenceServices(first: 1000) { edges { node { "
     "name pods { name } } } } } } } } }", "QUERY_TOO_COMPLEX"),
    ("{ inferenceServices(first: 100000) { totalCount } }", "INVALID_INPUT"),
])
def test_limits_reject_expensive_documents(gateway, query, code):
    answer = gateway.query(query)
    assert answer.get("data") is None and answer["errors"][0]["extensions"]["code"] == code, answer


def test_body_size_limit(gateway):
    resp = gateway.http.post("/graphql", content=b'{"query": "' + b" " * 2_000_000 + b'{ __typename }"}',
                             headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_csrf_simple_requests_and_mutations_over_get_are_refused(gateway):
    form = gateway.http.post("/graphql", content="query={__typename}",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    text = gateway.http.post("/graphql", content='{"query": "{__typename}"}', headers={"Content-Type": "text/plain"})
    assert form.status_code == 400 and text.status_code == 400
    over_get = gateway.http.get("/graphql", params={"query": "mutation { __typename }"})
    assert over_get.status_code in (400, 405)


def test_automatic_persisted_queries(gateway):
    query = "{ clusterSummary { services } }"
    sha = hashlib.sha256(query.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    miss = gateway.http.post("/graphql", json={"extensions": ext}).json()
    assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = gateway.http.post("/graphql", json={"query": query, "extensions": ext}).json()
    assert registered["data"]["clusterSummary"]["services"] > 0
    hit = gateway.http.post("/graphql", json={"extensions": ext}).json()
    assert hit == registered
    wrong = gateway.http.post("/graphql", json={"query": "{ __typename }", "extensions": ext})
    assert wrong.status_code == 400


def test_persisted_only_mode_and_no_introspection(devcluster, tmp_path):
    (tmp_path / "summary.graphql").write_text("{ clusterSummary { services } }")
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_PERSISTED_ONLY": "true", "OME_GATEWAY_INTROSPECTION": "false",
                                             "OME_GATEWAY_PERSISTED_QUERIES_DIR": str(tmp_path)})
    try:
        assert gw.data("{ clusterSummary { services } }")["clusterSummary"]["services"] > 0
        other = gw.query("{ clusterSummary { models } }")
        assert other["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        sha = hashlib.sha256(b"{ clusterSummary { models } }").hexdigest()
        register = gw.http.post("/graphql", json={"query": "{ clusterSummary { models } }", "extensions": {
            "persistedQuery": {"version": 1, "sha256Hash": sha}}}).json()
        assert register["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    finally:
        gw.stop()
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_INTROSPECTION": "false"})
    try:
        answer = gw.query("{ __schema { types { name } } }")
        assert answer["errors"] and answer.get("data") is None
    finally:
        gw.stop()


def test_execution_timeout(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_CACHE": "off", "OME_GATEWAY_TIMEOUT_SECONDS": "1"})
    devcluster.faults(latency_ms=1500)
    try:
        answer = gw.query("{ inferenceServices { totalCount } }")
    finally:
        devcluster.faults(latency_ms=0)
        gw.stop()
    assert answer["errors"][0]["extensions"]["code"] == "TIMEOUT"


def test_rate_limit_is_shared_by_replicas_through_redis(devcluster, redis_url):
    env = {"OME_GATEWAY_RATE_LIMIT": "10", "REDIS_URL": redis_url}
    a, b = Gateway(devcluster.kubeconfig, env=env), Gateway(devcluster.kubeconfig, env=env)
    store = redis.Redis.from_url(redis_url)
    try:
        for _ in range(3):  # windows are whole minutes: measure again if one began during the burst
            for key in store.scan_iter("ome-gateway:ratelimit:*"):
                store.delete(key)
            window = int(time.time() // 60)
            statuses = [gw.http.post("/graphql", json={"query": "{ __typename }"}).status_code
                        for gw in (a, b) * 8]
            if int(time.time() // 60) == window:
                break
    finally:
        store.close()
        a.stop()
        b.stop()
    assert statuses.count(200) == 10 and statuses.count(429) == 6
