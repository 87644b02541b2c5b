"""The web surface: GraphiQL, GET queries, health and readiness, request ids, CORS, upstream failures."""
from __future__ import annotations

import json

import httpx

from support import Gateway, free_port


def test_graphiql_in_a_browser_and_queries_over_get(gateway):
    page = gateway.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    answer = gateway.http.get("/graphql", params={"query": "{ clusterSummary { services } }"}).json()
    assert answer["data"]["clusterSummary"]["services"] > 0


def test_health_and_readiness(gateway):
    assert gateway.http.get("/healthz").json() == {"status": "ok"}
    assert gateway.http.get("/readyz").json() == {"status": "ready", "bus": "local"}


def test_request_id_is_echoed_or_made(gateway):
    given = gateway.http.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = gateway.http.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32


def test_unreachable_cluster_is_not_ready_and_queries_fail_typed(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": f"http://127.0.0.1:{free_port()}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}]}))
    gw = Gateway(kubeconfig, wait_ready=False)
    try:
        ready = gw.http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        answer = gw.query("{ inferenceServices { totalCount } }")
        assert answer["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        assert answer["data"] is None
    finally:
        gw.stop()


def test_upstream_errors_and_retries(uncached_gateway, devcluster):
    devcluster.faults(error_rate=1.0)
    try:
        answer = uncached_gateway.query("{ inferenceServices { totalCount } }")
    finally:
        devcluster.faults(error_rate=0.0)
    assert answer["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert answer["errors"][0]["message"].startswith("injected fault")
    devcluster.faults(throttle_next=2)  # reads retry 429s (3 attempts), so this one succeeds
    data = uncached_gateway.data("{ acceleratorClasses { totalCount } }")
    assert data["acceleratorClasses"]["totalCount"] > 0
    assert devcluster.http.get("/_devcluster/faults").json()["throttle_next"] == 0
    devcluster.faults(throttle_next=3)  # one more than the attempts: the error reaches the client
    answer = uncached_gateway.query("{ acceleratorClasses { totalCount } }")
    assert answer["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"


def test_the_cache_keeps_answering_while_the_api_fails(gateway, devcluster):
    before = gateway.data("{ inferenceServices { totalCount } }")
    devcluster.faults(error_rate=1.0)
    try:
        during = gateway.data("{ inferenceServices { totalCount } }")
    finally:
        devcluster.faults(error_rate=0.0)
    assert during == before


def test_cors_allowlist(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_CORS_ORIGINS": "https://console.example"})
    try:
        headers = {"Origin": "https://console.example", "Access-Control-Request-Method": "POST",
                   "Access-Control-Request-Headers": "content-type"}
        allowed = gw.http.options("/graphql", headers=headers)
        assert allowed.headers["access-control-allow-origin"] == "https://console.example"
        denied = gw.http.options("/graphql", headers={**headers, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers
    finally:
        gw.stop()


def test_json_logs_carry_the_request_id(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_LOG_LEVEL": "info"})
    try:
        httpx.get(gw.url + "/healthz", headers={"X-Request-ID": "log-me-1"})
    finally:
        gw.stop()
    lines = [json.loads(line) for line in gw.log().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["request_id"] == "log-me-1"]
    assert access and access[0]["logger"] == "ome_gateway.access" and access[0]["status"] == 200
