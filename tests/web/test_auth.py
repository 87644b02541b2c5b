"""Bearer mode: the shared cache never shows a user what the cluster would not. The oracle is the dev cluster
itself, asked as each user (impersonated by the admin); the gateway must agree on every user, namespace, kind
and entry point."""
from __future__ import annotations

import asyncio
import base64
import contextlib

import httpx
import pytest
import websockets

from clients import TRANSPORTS, SubscriptionError, take
from support import OME, Gateway, wait_for

USERS = {"alice": ("alice-token", ("team-nlp-admins",)), "bob": ("bob-token", ("team-vision-viewers",)),
         "carol": ("carol-token", ("platform-viewers",)), "mallory": ("mallory-token", ())}
KINDS = {"inferenceServices": f"{OME}/namespaces/{{ns}}/inferenceservices",
         "models": f"{OME}/namespaces/{{ns}}/basemodels", "runtimes": f"{OME}/namespaces/{{ns}}/servingruntimes"}
CASES = {"count": 0}


@pytest.fixture(scope="module")
def bearer(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_AUTH": "bearer", "OME_GATEWAY_RATE_LIMIT": "0"})
    yield gw
    gw.stop()


def as_user(gw: Gateway, user: str, query: str, variables: dict | None = None) -> dict:
    token = USERS[user][0]
    response = gw.http.post("/graphql", json={"query": query, "variables": variables or {}},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def oracle(devcluster, user: str, method: str, path: str, body: dict | None = None) -> int:
    """The status the dev cluster answers `user` (impersonated by its admin, groups and all)."""
    headers = [("Impersonate-User", user)] + [("Impersonate-Group", g) for g in USERS[user][1]]
    response = devcluster.http.request(method, path, headers=headers, json=body,
                                       params={"dryRun": "All"} if method == "POST" else None)
    return response.status_code


def namespaces(devcluster) -> list[str]:
    return sorted(n["metadata"]["name"] for n in devcluster.http.get("/api/v1/namespaces").json()["items"])


@pytest.mark.parametrize("user", sorted(USERS))
def test_lists_show_exactly_what_the_cluster_allows(bearer, devcluster, user):
    for field, path in KINDS.items():
        expected = set()
        for ns in namespaces(devcluster):
            url = path.format(ns=ns)
            if oracle(devcluster, user, "GET", url) == 200:
                expected |= {(ns, o["metadata"]["name"]) for o in devcluster.http.get(url).json()["items"]}
            CASES["count"] += 1
        scope = "" if field == "inferenceServices" else "(scope: NAMESPACE)"
        answer = as_user(bearer, user, f"{{ {field}{scope} {{ edges {{ node {{ namespace name }} }} }} }}")
        got = {(e["node"]["namespace"], e["node"]["name"]) for e in answer["data"][field]["edges"]}
        assert got == expected, (user, field)
    cluster_models = as_user(bearer, user, "{ models(scope: CLUSTER) { totalCount } }")["data"]["models"]
    allowed = oracle(devcluster, user, "GET", f"{OME}/clusterbasemodels") == 200
    assert (cluster_models["totalCount"] > 0) == allowed


@pytest.mark.parametrize("user", sorted(USERS))
def test_gets_node_ids_and_links_fail_as_the_cluster_would(bearer, devcluster, user):
    services = devcluster.http.get(f"{OME}/inferenceservices").json()["items"]
    for svc in services:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        allowed = oracle(devcluster, user, "GET", f"{OME}/namespaces/{ns}/inferenceservices/{name}") == 200
        node_id = base64.b64encode(f"InferenceService:{ns}/{name}".encode()).decode()
        answer = as_user(bearer, user, """query($ns: String!, $n: String!, $id: ID!) {
          inferenceService(namespace: $ns, name: $n) { name model { name } pods { name } }
          node(id: $id) { id } }""", {"ns": ns, "n": name, "id": node_id})
        errors = {tuple(e["path"]): e["extensions"]["code"] for e in answer.get("errors", [])}
        CASES["count"] += 3
        if not allowed:
            assert answer["data"]["inferenceService"] is None and errors[("inferenceService",)] == "FORBIDDEN"
            assert answer["data"]["node"] is None and errors[("node",)] == "FORBIDDEN"
            continue
        assert answer["data"]["inferenceService"]["name"] == name and answer["data"]["node"]["id"] == node_id
        model_ref = svc["spec"]["model"]
        if model_ref.get("kind") == "BaseModel":
            model_path = f"{OME}/namespaces/{ns}/basemodels/{model_ref['name']}"
        else:
            model_path = f"{OME}/clusterbasemodels/{model_ref['name']}"
        if oracle(devcluster, user, "GET", model_path) == 403:  # a link the user may not follow: null + FORBIDDEN
            assert answer["data"]["inferenceService"]["model"] is None
            assert errors[("inferenceService", "model")] == "FORBIDDEN"
        pods_allowed = oracle(devcluster, user, "GET", f"/api/v1/namespaces/{ns}/pods") == 200
        assert bool(answer["data"]["inferenceService"]["pods"]) <= pods_allowed


@pytest.mark.parametrize("user", sorted(USERS))
def test_writes_use_the_callers_own_rights(bearer, devcluster, user):
    deploy = """mutation($ns: String!) { deployInferenceService(input: {name: "probe", namespace: $ns,
      model: "llama-3-1-8b-instruct", runtime: "srt-llama-small", dryRun: true}) { dryRun } }"""
    for ns in namespaces(devcluster):
        body = {"apiVersion": "ome.io/v1beta1", "kind": "InferenceService",
                "metadata": {"name": "probe", "namespace": ns},
                "spec": {"model": {"name": "llama-3-1-8b-instruct"}, "runtime": {"name": "srt-llama-small"}}}
        allowed = oracle(devcluster, user, "POST", f"{OME}/namespaces/{ns}/inferenceservices", body) == 201 and all(
            oracle(devcluster, user, "GET", path) == 200 for path in (  # the gateway must read what it checks
                f"{OME}/clusterbasemodels/llama-3-1-8b-instruct", f"{OME}/clusterservingruntimes/srt-llama-small"))
        answer = as_user(bearer, user, deploy, {"ns": ns})
        CASES["count"] += 1
        if allowed:
            assert answer["data"]["deployInferenceService"]["dryRun"] is True, answer
            CASES["allowed writes"] = CASES.get("allowed writes", 0) + 1
        else:
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", (user, ns, answer)


async def test_subscriptions_never_send_what_the_user_may_not_see(bearer, devcluster):
    services = devcluster.http.get(f"{OME}/inferenceservices").json()["items"]
    one_per_ns = {s["metadata"]["namespace"]: s["metadata"]["name"] for s in services}
    query = """subscription { resourceChanges(kinds: [INFERENCE_SERVICE]) { type resource { namespace name } } }"""
    for user in ("bob", "mallory"):
        readable = {ns for ns in one_per_ns
                    if oracle(devcluster, user, "GET", f"{OME}/namespaces/{ns}/inferenceservices") == 200}
        stream = TRANSPORTS["graphql-transport-ws"](bearer.url, query, {},
                                                    connection_params={"Authorization": f"Bearer {USERS[user][0]}"})
        async with contextlib.aclosing(stream):
            collected = asyncio.ensure_future(take(stream, len(readable) or 1, timeout=8))
            await asyncio.sleep(0.5)
            # forbidden namespaces change first: were their events sent, they would arrive before the allowed ones
            for ns in sorted(one_per_ns, key=lambda n: n in readable):
                devcluster.http.patch(f"{OME}/namespaces/{ns}/inferenceservices/{one_per_ns[ns]}",
                                      json={"metadata": {"annotations": {"probe": user}}},
                                      headers={"Content-Type": "application/merge-patch+json"}).raise_for_status()
            if readable:
                events = await collected
                seen = {e["resourceChanges"]["resource"]["namespace"] for e in events}
                assert seen == readable, (user, seen)
            else:
                with pytest.raises(asyncio.TimeoutError):
                    await collected
        CASES["count"] += len(one_per_ns)


async def test_websockets_and_http_need_an_identity(bearer):
    answer = httpx.post(bearer.url + "/graphql", json={"query": "{ namespaces { name } }"})
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = httpx.post(bearer.url + "/graphql", json={"query": "{ namespaces { name } }"},
                     headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401
    stream = TRANSPORTS["graphql-transport-ws"](bearer.url, "subscription { clusterSummary { services } }", {})
    with pytest.raises((SubscriptionError, websockets.ConnectionClosed)):
        await take(stream, 1, timeout=5)
    page = httpx.get(bearer.url + "/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()  # the explorer loads; its calls need a token


def test_print_matrix_size():
    print(f"authorization cases checked against the cluster: {CASES['count']}")
    assert CASES["count"] > 100 and CASES.get("allowed writes")  # some writes are allowed: the matrix has both
