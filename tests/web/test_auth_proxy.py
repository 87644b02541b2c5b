"""Proxy mode (identity from an oauth2-proxy, acted out through impersonation) and the configuration checks that
keep a gateway from running open by accident."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support import Gateway

SERVICES = "{ inferenceServices { edges { node { namespace } } } }"
DEPLOY = """mutation($ns: String!) { deployInferenceService(input: {name: "probe", namespace: $ns,
  model: "llama-3-1-8b-instruct", runtime: "srt-llama-small", dryRun: true}) { dryRun } }"""


@pytest.fixture(scope="module")
def proxied(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_AUTH": "proxy", "OME_GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32"})
    yield gw
    gw.stop()


def post(gw: Gateway, query: str, variables: dict | None = None, **headers) -> dict:
    response = gw.http.post("/graphql", json={"query": query, "variables": variables or {}},
                            headers={k.replace("_", "-"): v for k, v in headers.items()})
    return {"status": response.status_code, **response.json()}


def test_forwarded_identity_decides_reads_and_writes(proxied):
    bob = {"X_Forwarded_User": "bob", "X_Forwarded_Groups": "team-vision-viewers"}
    seen = {e["node"]["namespace"] for e in post(proxied, SERVICES, **bob)["data"]["inferenceServices"]["edges"]}
    assert seen == {"team-vision"}
    refused = post(proxied, DEPLOY, {"ns": "team-vision"}, **bob)  # a viewer: the cluster refuses the impersonated write
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    alice = {"X_Forwarded_User": "alice", "X_Forwarded_Groups": "team-nlp-admins,other"}
    assert post(proxied, DEPLOY, {"ns": "team-nlp"}, **alice)["data"]["deployInferenceService"]["dryRun"] is True
    assert post(proxied, DEPLOY, {"ns": "team-vision"}, **alice)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = post(proxied, SERVICES)
    assert anonymous["status"] == 401 and anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_shared_secret_instead_of_trusted_networks(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_AUTH": "proxy", "OME_GATEWAY_PROXY_SECRET": "s3cret"})
    try:
        carol = {"X_Forwarded_User": "carol", "X_Forwarded_Groups": "platform-viewers"}
        assert post(gw, SERVICES, **carol)["status"] == 401  # loopback is not trusted here: only the secret is
        assert post(gw, SERVICES, X_Gateway_Proxy_Secret="guess", **carol)["status"] == 401
        answer = post(gw, SERVICES, X_Gateway_Proxy_Secret="s3cret", **carol)
        assert len({e["node"]["namespace"] for e in answer["data"]["inferenceServices"]["edges"]}) > 1
    finally:
        gw.stop()


@pytest.mark.parametrize("env, message", [
    ({}, "refusing to serve 0.0.0.0 without authentication"),
    ({"OME_GATEWAY_AUTH": "proxy"}, "needs OME_GATEWAY_TRUSTED_PROXIES or OME_GATEWAY_PROXY_SECRET"),
    ({"OME_GATEWAY_AUTH": "kerberos"}, "OME_GATEWAY_AUTH must be one of none, bearer, proxy"),
    ({"OME_GATEWAY_AUTH": "proxy", "OME_GATEWAY_TRUSTED_PROXIES": "10.0.0.0/33"}, "IP addresses or CIDR networks"),
])
def test_unsafe_configurations_are_refused_at_start(env, message):
    done = subprocess.run([sys.executable, "-m", "ome_gateway.cli", "serve", "--host", "0.0.0.0", "--port", "0"],
                          env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_log_lines_name_the_user(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_AUTH": "proxy", "OME_GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
                                             "OME_GATEWAY_LOG_LEVEL": "info"})
    try:
        post(gw, SERVICES, X_Forwarded_User="carol", X_Request_ID="who-1")
        post(gw, SERVICES, X_Request_ID="who-2")  # refused: nobody
    finally:
        gw.stop()
    lines = [json.loads(line) for line in gw.log().splitlines() if line.startswith("{")]
    users = {line["request_id"]: line["user"] for line in lines if line["logger"] == "ome_gateway.access"}
    assert users["who-1"] == "carol" and users["who-2"] == "-"
