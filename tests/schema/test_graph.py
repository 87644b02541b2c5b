"""The read graph over HTTP: every link and field agrees with what the dev cluster itself holds."""
from __future__ import annotations

import asyncio
import base64

import pytest

from support import DevCluster, Gateway, catalog, load_catalog

DASHBOARD = """query($n: Int!) { inferenceServices(first: $n) { totalCount edges { node {
  name model { name } runtime { name } accelerator { name } } } } }"""


async def load_more(cluster: DevCluster, have: int, size: int) -> None:
    """Add services have..size-1 to a cluster loaded with catalog(have)."""
    services = [(p, o) for p, o in catalog(size) if o.get("kind") == "InferenceService"][have:]
    async with cluster.async_client() as http:
        for path, obj in services:
            (await http.post(path, json=obj)).raise_for_status()

SERVICES = """
query($first: Int, $after: String, $namespace: String, $labelSelector: String, $search: String, $ready: Boolean) {
  inferenceServices(first: $first, after: $after, namespace: $namespace, labelSelector: $labelSelector,
                    search: $search, ready: $ready) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name namespace ready url acceleratorClassName
      modelRef { kind name namespace } runtimeRef { kind name namespace }
      model { name scope architecture } runtime { name scope } accelerator { name gpuModel } } }
  }
}"""


@pytest.fixture(params=["cached", "uncached"])
def graph(request):
    """Every graph test runs against both read paths: the shared cache and the per-request loaders."""
    return request.getfixturevalue("gateway" if request.param == "cached" else "uncached_gateway")


def raw(devcluster, path: str) -> list[dict]:
    return devcluster.http.get(path).json()["items"]


def refs_of(isvc: dict) -> tuple:
    spec = isvc["spec"]
    accel = ((isvc["metadata"].get("annotations") or {}).get("ome.io/accelerator-class")
             or (spec.get("acceleratorSelector") or {}).get("acceleratorClass"))
    return spec["model"]["name"], (spec.get("runtime") or {}).get("name"), accel


def test_services_link_to_their_model_runtime_and_accelerator(graph, devcluster):
    expected = {(i["metadata"]["namespace"], i["metadata"]["name"]): refs_of(i)
                for i in raw(devcluster, "/apis/ome.io/v1beta1/inferenceservices")}
    data = graph.data(SERVICES, {"first": 1000})["inferenceServices"]
    assert data["totalCount"] == len(expected) >= 12
    got = {}
    for edge in data["edges"]:
        node = edge["node"]
        assert node["model"] is not None, node
        assert node["model"]["name"] == node["modelRef"]["name"]
        if node["runtimeRef"]:
            assert node["runtime"]["name"] == node["runtimeRef"]["name"]
            assert node["runtime"]["scope"] == ("NAMESPACE" if node["runtimeRef"]["kind"] == "ServingRuntime"
                                                else "CLUSTER")
        if node["acceleratorClassName"]:
            assert node["accelerator"]["name"] == node["acceleratorClassName"]
        got[(node["namespace"], node["name"])] = (node["model"]["name"], node["runtime"] and node["runtime"]["name"],
                                                  node["acceleratorClassName"])
    assert got == expected
    keys = list(got)
    assert keys == sorted(keys)  # stable order: namespace, then name


def test_warm_cache_answers_the_dashboard_with_no_upstream_request(gateway, devcluster):
    gateway.data(SERVICES, {"first": 1000})
    devcluster.reset_requests()
    gateway.data(SERVICES, {"first": 1000})
    assert devcluster.requests()["total"] == 0


def test_loaders_cost_one_list_per_kind(uncached_gateway, devcluster):
    devcluster.reset_requests()
    uncached_gateway.data(SERVICES, {"first": 1000})
    counts = devcluster.requests()["requests"]
    # one list per kind the rows link to (models and runtimes come in two scopes), never a GET per row
    assert counts == {f"list {plural}": 1 for plural in (
        "inferenceservices", "clusterbasemodels", "basemodels", "clusterservingruntimes", "servingruntimes",
        "acceleratorclasses")}, counts


def test_pagination_is_stable_and_complete(graph):
    everything = [e["node"]["id"] for e in graph.data(SERVICES, {"first": 1000})["inferenceServices"]["edges"]]
    pages, after = [], None
    while True:
        page = graph.data(SERVICES, {"first": 5, "after": after})["inferenceServices"]
        pages += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == everything


def test_filters(graph, devcluster):
    items = raw(devcluster, "/apis/ome.io/v1beta1/inferenceservices")
    namespace = items[0]["metadata"]["namespace"]
    in_ns = graph.data(SERVICES, {"first": 100, "namespace": namespace})["inferenceServices"]["edges"]
    assert {e["node"]["namespace"] for e in in_ns} == {namespace}
    assert len(in_ns) == sum(i["metadata"]["namespace"] == namespace for i in items)
    labelled = [i for i in items if (i["metadata"].get("labels") or {}).get("env") == "prod"]
    by_label = graph.data(SERVICES, {"first": 100, "labelSelector": "env=prod"})["inferenceServices"]
    assert by_label["totalCount"] == len(labelled) > 0
    needle = items[0]["metadata"]["name"][1:4].upper()
    found = graph.data(SERVICES, {"first": 100, "search": needle})["inferenceServices"]["edges"]
    assert found and all(needle.lower() in e["node"]["name"] for e in found)
    ready = graph.data(SERVICES, {"first": 100, "ready": True})["inferenceServices"]["edges"]
    assert all(e["node"]["ready"] for e in ready)


def test_node_lookup_round_trips_every_type(graph):
    data = graph.data("""{
      inferenceServices(first: 1) { edges { node { id name pods { id name } } } }
      models(first: 50) { edges { node { id name scope } } }
      runtimes(first: 50) { edges { node { id name } } }
      acceleratorClasses(first: 5) { edges { node { id name nodes { id name } } } }
      namespaces { id name }
    }""")
    svc = data["inferenceServices"]["edges"][0]["node"]
    ids = [svc["id"], svc["pods"][0]["id"], data["acceleratorClasses"]["edges"][0]["node"]["nodes"][0]["id"],
           data["namespaces"][0]["id"]]
    ids += [e["node"]["id"] for key in ("models", "runtimes", "acceleratorClasses") for e in data[key]["edges"]]
    for global_id in ids:
        typename = base64.b64decode(global_id).decode().split(":", 1)[0]
        node = graph.data("query($id: ID!) { node(id: $id) { __typename id ... on Resource { name } } }",
                            {"id": global_id})["node"]
        assert node == {"__typename": typename, "id": global_id, "name": node["name"]}
    scopes = {e["node"]["scope"] for e in data["models"]["edges"]}
    assert scopes == {"CLUSTER", "NAMESPACE"}


def test_reverse_links_and_core_kinds(graph, devcluster):
    data = graph.data("""{
      models(first: 100) { edges { node { name namespace inferenceServices(first: 100) { totalCount
        edges { node { modelRef { name } } } } } } }
      runtimes(first: 100) { edges { node { name inferenceServices(first: 100) { totalCount } } } }
      acceleratorClasses(first: 10) { edges { node { name nodes { name gpus gpuProduct } runtimes { name } } } }
      inferenceServices(first: 100) { edges { node { name pods { name phase component nodeName ready }
        events(limit: 5) { reason involvedName } components { kind minReplicas replicas readyReplicas } } } }
    }""")
    items = raw(devcluster, "/apis/ome.io/v1beta1/inferenceservices")
    for edge in data["models"]["edges"]:
        model = edge["node"]
        users = [i for i in items if i["spec"]["model"]["name"] == model["name"] and (
            i["spec"]["model"].get("kind", "ClusterBaseModel") == ("BaseModel" if model["namespace"]
                                                                   else "ClusterBaseModel"))
            and (not model["namespace"] or i["metadata"]["namespace"] == model["namespace"])]
        assert model["inferenceServices"]["totalCount"] == len(users), model["name"]
    assert sum(e["node"]["inferenceServices"]["totalCount"] for e in data["runtimes"]["edges"]) == sum(
        1 for i in items if (i["spec"].get("runtime") or {}).get("name"))
    nodes = raw(devcluster, "/api/v1/nodes")
    for edge in data["acceleratorClasses"]["edges"]:
        accel = edge["node"]
        assert accel["nodes"], accel["name"]
        for node in accel["nodes"]:
            match = next(n for n in nodes if n["metadata"]["name"] == node["name"])
            assert node["gpus"] == int(match["status"]["allocatable"]["nvidia.com/gpu"]) > 0
    for edge in data["inferenceServices"]["edges"]:
        svc = edge["node"]
        pods = raw(devcluster, "/api/v1/pods?labelSelector=serving.ome.io/inferenceservice=" + svc["name"])
        assert {p["name"] for p in svc["pods"]} >= set()
        assert sum(c["replicas"] for c in svc["components"]) == len(svc["pods"])
        assert all(e["involvedName"] == svc["name"] for e in svc["events"])
        assert len(svc["pods"]) <= len(pods)


def test_cluster_summary_counts(graph, devcluster):
    summary = graph.data("""{ clusterSummary { models modelsReady runtimes runtimesDisabled services
        servicesReady servicesNotReady acceleratorClasses nodes gpusTotal gpusUsed } }""")["clusterSummary"]
    models = raw(devcluster, "/apis/ome.io/v1beta1/clusterbasemodels") + raw(
        devcluster, "/apis/ome.io/v1beta1/basemodels")
    services = raw(devcluster, "/apis/ome.io/v1beta1/inferenceservices")
    nodes = raw(devcluster, "/api/v1/nodes")
    assert summary["models"] == len(models)
    assert summary["modelsReady"] == sum((m.get("status") or {}).get("state") == "Ready" for m in models)
    assert summary["services"] == len(services)
    assert summary["servicesReady"] + summary["servicesNotReady"] == len(services)
    assert summary["nodes"] == len(nodes)
    assert summary["gpusTotal"] == sum(int(n["status"]["allocatable"].get("nvidia.com/gpu", 0)) for n in nodes)
    assert 0 < summary["gpusUsed"] <= summary["gpusTotal"]


@pytest.mark.parametrize("query, code", [
    ('{ inferenceServices(namespace: "Bad Namespace!") { totalCount } }', "INVALID_INPUT"),
    ('{ inferenceServices(labelSelector: "a in (") { totalCount } }', "INVALID_INPUT"),
    ('{ inferenceService(namespace: "x", name: "' + "a" * 300 + '") { name } }', "INVALID_INPUT"),
    ("{ inferenceServices { nope } }", "GRAPHQL_VALIDATION_FAILED"),
    ('{ node(id: "not-base64!") { id } }', None),
])
def test_bad_input_gets_a_typed_error(graph, query, code):
    answer = graph.query(query)
    assert answer["errors"], answer
    for error in answer["errors"]:
        assert "Traceback" not in error["message"]
        if code:
            assert error["extensions"]["code"] == code, error


def test_missing_objects_are_null_not_errors(graph):
    data = graph.data('{ inferenceService(namespace: "ome", name: "nope") { name } model(name: "nope") { name } }')
    assert data == {"inferenceService": None, "model": None}


def test_request_count_does_not_grow_with_the_number_of_services(tmp_path):
    """The dashboard benchmark's shape at two sizes: the same 4 list calls, whatever the size."""
    cluster = DevCluster(tmp_path, seed="crds", ready_delay=0)
    gw = None
    try:
        counts = []
        for size in (20, 200):
            asyncio.run(load_catalog(cluster, size)) if size == 20 else asyncio.run(load_more(cluster, 20, size))
            gw = gw or Gateway(cluster.kubeconfig, env={"OME_GATEWAY_CACHE": "off"})
            cluster.reset_requests()
            data = gw.data(DASHBOARD, {"n": size})["inferenceServices"]
            assert data["totalCount"] == size
            assert all(e["node"]["model"] and e["node"]["runtime"] and e["node"]["accelerator"] for e in data["edges"])
            counts.append(cluster.requests()["requests"])
        assert counts[0] == counts[1] == {f"list {p}": 1 for p in (
            "inferenceservices", "clusterbasemodels", "clusterservingruntimes", "acceleratorclasses")}
    finally:
        if gw:
            gw.stop()
        cluster.stop()
