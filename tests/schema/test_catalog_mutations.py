"""Creating, updating, deleting and cloning models and runtimes in both scopes, with CRD validation and
optimistic concurrency."""
from __future__ import annotations

import uuid

from support import OME, wait_for

MODEL = """mutation($input: CatalogObjectInput!, $dry: Boolean!) { createModel(input: $input, dryRun: $dry) {
  name namespace scope format { name version } metadata { resourceVersion labels { key value } } } }"""
UPDATE = """mutation($input: CatalogUpdateInput!) { updateModel(input: $input) {
  name architecture metadata { resourceVersion } } }"""
SPEC = {"modelFormat": {"name": "safetensors", "version": "1.0.0"}, "modelArchitecture": "LlamaForCausalLM",
        "modelParameterSize": "8B", "storage": {"storageUri": "hf://acme/llama"}}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def error_of(answer: dict) -> dict:
    assert answer.get("errors"), answer
    return answer["errors"][0]["extensions"] | {"message": answer["errors"][0]["message"]}


def test_model_lifecycle_in_the_cluster_scope(gateway, devcluster):
    name = unique("llama")
    dry = gateway.data(MODEL, {"input": {"name": name, "spec": SPEC}, "dry": True})["createModel"]
    assert dry["scope"] == "CLUSTER" and devcluster.http.get(f"{OME}/clusterbasemodels/{name}").status_code == 404
    made = gateway.data(MODEL, {"input": {"name": name, "spec": SPEC, "labels": [{"key": "tier", "value": "gold"}]},
                                "dry": False})["createModel"]
    assert made["format"] == {"name": "safetensors", "version": "1.0.0"}
    assert made["metadata"]["labels"] == [{"key": "tier", "value": "gold"}]
    # the dev cluster's controller moves a new model's status along; update once it has settled
    version = wait_for(lambda: (lambda m: m["status"].get("state") == "Ready" and m["metadata"]["resourceVersion"])(
        devcluster.http.get(f"{OME}/clusterbasemodels/{name}").json()))

    updated = gateway.data(UPDATE, {"input": {"name": name, "spec": {**SPEC, "modelArchitecture": "Other"},
                                              "resourceVersion": version}})["updateModel"]
    assert updated["architecture"] == "Other"
    stored = devcluster.http.get(f"{OME}/clusterbasemodels/{name}").json()
    assert stored["spec"]["modelArchitecture"] == "Other" and stored["metadata"]["labels"] == {"tier": "gold"}

    stale = error_of(gateway.query(UPDATE, {"input": {"name": name, "spec": SPEC, "resourceVersion": version}}))
    assert stale["code"] == "CONFLICT" and stale["currentResourceVersion"]
    assert devcluster.http.get(f"{OME}/clusterbasemodels/{name}").json()["spec"]["modelArchitecture"] == "Other"

    deleted = gateway.data("mutation($n: String!) { deleteModel(name: $n) { kind name namespace } }", {"n": name})
    assert deleted["deleteModel"] == {"kind": "ClusterBaseModel", "name": name, "namespace": None}
    assert devcluster.http.get(f"{OME}/clusterbasemodels/{name}").status_code == 404
    missing = error_of(gateway.query("mutation($n: String!) { deleteModel(name: $n) { name } }", {"n": name}))
    assert missing["code"] == "NOT_FOUND"


def test_namespaced_model_and_crd_errors_with_field_paths(gateway, devcluster, ns):
    made = gateway.data(MODEL, {"input": {"name": "local", "namespace": ns, "spec": SPEC}, "dry": False})
    assert made["createModel"]["scope"] == "NAMESPACE"
    assert devcluster.http.get(f"{OME}/namespaces/{ns}/basemodels/local").status_code == 200
    again = error_of(gateway.query(MODEL, {"input": {"name": "local", "namespace": ns, "spec": SPEC}, "dry": False}))
    assert again["code"] == "ALREADY_EXISTS"

    bad = {**SPEC, "modelFormat": "safetensors", "maxTokens": "many"}
    error = error_of(gateway.query(MODEL, {"input": {"name": "broken", "namespace": ns, "spec": bad}, "dry": False}))
    assert error["code"] == "INVALID_INPUT"
    assert {"spec.modelFormat", "spec.maxTokens"} <= {f["field"] for f in error["fields"]}
    for spec, field in (("not an object", "spec"), ({"x": "y" * 300_000}, "spec")):
        error = error_of(gateway.query(MODEL, {"input": {"name": "broken", "namespace": ns, "spec": spec},
                                               "dry": False}))
        assert (error["code"], error["fields"][0]["field"]) == ("INVALID_INPUT", field)
    for name in ("UPPER", "a" * 254, "-dash"):
        error = error_of(gateway.query(MODEL, {"input": {"name": name, "namespace": ns, "spec": SPEC}, "dry": False}))
        assert (error["code"], error["fields"][0]["field"]) == ("INVALID_INPUT", "name")
    names = [m["metadata"]["name"] for m in devcluster.http.get(f"{OME}/namespaces/{ns}/basemodels").json()["items"]]
    assert names == ["local"]


def test_runtime_crud_and_clone_across_scopes(gateway, devcluster, ns):
    name = unique("srt")
    spec = {"supportedModelFormats": [{"modelFormat": {"name": "safetensors"}, "modelFramework": {
        "name": "transformers"}, "autoSelect": True}],
            "engineConfig": {"runner": {"name": "ome-container", "image": "example/engine:1"}}}
    created = gateway.data("mutation($i: CatalogObjectInput!) { createRuntime(input: $i) { name scope } }",
                           {"i": {"name": name, "spec": spec}})["createRuntime"]
    assert created == {"name": name, "scope": "CLUSTER"}
    clone = gateway.data("mutation($n: String!, $ns: String) { cloneRuntime(name: $n, newName: \"copy\", "
                         "newNamespace: $ns) { name namespace scope supportedFormats { format { name } } } }",
                         {"n": name, "ns": ns})["cloneRuntime"]
    assert clone == {"name": "copy", "namespace": ns, "scope": "NAMESPACE",
                     "supportedFormats": [{"format": {"name": "safetensors"}}]}
    stored = devcluster.http.get(f"{OME}/namespaces/{ns}/servingruntimes/copy").json()
    assert stored["spec"]["engineConfig"]["runner"]["image"] == "example/engine:1"
    updated = gateway.data("mutation($i: CatalogUpdateInput!) { updateRuntime(input: $i) { disabled } }",
                           {"i": {"name": "copy", "namespace": ns, "spec": {**spec, "disabled": True}}})
    assert updated["updateRuntime"] == {"disabled": True}
    missing = error_of(gateway.query("mutation { cloneRuntime(name: \"no-such-runtime\", newName: \"x\") { name } }"))
    assert missing["code"] == "NOT_FOUND"
    for runtime, namespace in ((name, None), ("copy", ns)):
        gateway.data("mutation($n: String!, $ns: String) { deleteRuntime(name: $n, namespace: $ns) { name } }",
                     {"n": runtime, "ns": namespace})
    assert devcluster.http.get(f"{OME}/clusterservingruntimes/{name}").status_code == 404
    assert devcluster.http.get(f"{OME}/namespaces/{ns}/servingruntimes/copy").status_code == 404
