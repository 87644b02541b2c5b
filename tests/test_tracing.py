"""Optional OpenTelemetry tracing: with OME_GATEWAY_TRACING=console each operation is a span that continues the
caller's traceparent, and the Kubernetes requests it makes are its children."""
from __future__ import annotations

import json

import pytest

from ome_gateway.config import ConfigError, Settings
from support import Gateway, wait_for

pytest.importorskip("opentelemetry.sdk", reason="tracing needs the opentelemetry packages (ome-gateway[tracing])")

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


def spans(gw: Gateway) -> list[dict]:
    return [json.loads(line) for line in gw.log().splitlines() if line.startswith('{"name"')]


def test_operations_and_their_kubernetes_requests_are_traced(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_TRACING": "console", "OME_GATEWAY_CACHE": "off"})
    try:
        gw.http.post("/graphql", json={"query": "query Traced { inferenceServices { totalCount } }",
                                       "operationName": "Traced"}, headers={"traceparent": TRACEPARENT})
        operation = wait_for(lambda: next((s for s in spans(gw) if s["name"] == "query Traced"), None))
        assert operation["context"]["trace_id"] == f"0x{TRACE}" and operation["parent_id"] == "0x00f067aa0ba902b7"
        assert operation["kind"] == "SpanKind.SERVER"
        assert operation["attributes"]["graphql.operation.name"] == "Traced"
        children = [s for s in spans(gw) if s["parent_id"] == operation["context"]["span_id"]]
        assert children and all(s["name"].startswith("kubernetes ") for s in children)
        assert any(s["attributes"]["url.path"].endswith("/inferenceservices") for s in children)

        gw.http.post("/graphql", json={"query": 'query Bad { inferenceService(namespace: "A!", name: "x") { name } }'})
        failed = wait_for(lambda: next((s for s in spans(gw) if s["name"] == "query Bad"), None))
        assert failed["attributes"]["graphql.error.codes"] == ["INVALID_INPUT"]
    finally:
        gw.stop()


def test_tracing_setting_is_checked():
    assert Settings.from_env({}).tracing == "off"
    assert Settings.from_env({"OME_GATEWAY_TRACING": "OTLP"}).tracing == "otlp"
    with pytest.raises(ConfigError, match="OME_GATEWAY_TRACING"):
        Settings.from_env({"OME_GATEWAY_TRACING": "zipkin"})
