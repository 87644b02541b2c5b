"""Mutations over HTTP: deploy (auto-selected runtime, dry run), scale, delete, and what bad input leaves behind:
nothing."""
from __future__ import annotations

import pytest

from support import OME, wait_for

DEPLOY = """mutation($input: DeployInferenceServiceInput!) { deployInferenceService(input: $input) {
  dryRun autoSelected warnings
  runtime { runtime { name namespace } compatible score autoSelect reasons }
  service { name namespace metadata { resourceVersion } manifest } } }"""
SCALE = """mutation($input: ScaleInferenceServiceInput!) { scaleInferenceService(input: $input) {
  name metadata { resourceVersion } components { kind minReplicas maxReplicas } } }"""

MODEL_SPEC = {"modelFormat": {"name": "safetensors", "version": "1.0.0"},
              "modelFramework": {"name": "transformers", "version": "4.40.0"},
              "modelArchitecture": "LlamaForCausalLM", "modelParameterSize": "1B",
              "storage": {"storageUri": "hf://acme/tiny-llama"}}
RUNTIME_SPEC = {"supportedModelFormats": [{
    "modelFormat": {"name": "safetensors", "version": "1.0.0"},
    "modelFramework": {"name": "transformers", "version": "4.45.0", "operator": "GreaterThanOrEqual"},
    "modelArchitecture": "LlamaForCausalLM", "autoSelect": True, "priority": 5}],
    "modelSizeRange": {"min": "500M", "max": "3B"},
    "engineConfig": {"runner": {"name": "ome-container", "image": "example/engine:1"}}}


@pytest.fixture
def team(gateway, devcluster, ns):
    """A namespace holding a BaseModel and the ServingRuntime that fits it best."""
    admin = devcluster.http
    admin.post(f"{OME}/namespaces/{ns}/basemodels", json={
        "apiVersion": "ome.io/v1beta1", "kind": "BaseModel", "metadata": {"name": "tiny-llama", "namespace": ns},
        "spec": MODEL_SPEC}).raise_for_status()
    admin.post(f"{OME}/namespaces/{ns}/servingruntimes", json={
        "apiVersion": "ome.io/v1beta1", "kind": "ServingRuntime", "metadata": {"name": "team-srt", "namespace": ns},
        "spec": RUNTIME_SPEC}).raise_for_status()
    seen = "query($ns: String) { runtime(name: \"team-srt\", namespace: $ns) { name } model(name: \"tiny-llama\", " \
           "namespace: $ns) { name } }"
    wait_for(lambda: all(gateway.data(seen, {"ns": ns}).values()))  # the gateway's cache follows a watch
    return ns


def services_in(devcluster, ns) -> list[str]:
    items = devcluster.http.get(f"{OME}/namespaces/{ns}/inferenceservices").json()["items"]
    return sorted(i["metadata"]["name"] for i in items)


def error_of(answer: dict) -> dict:
    assert answer.get("errors"), answer
    return answer["errors"][0]["extensions"] | {"message": answer["errors"][0]["message"]}


def test_deploy_dry_run_selects_the_runtime_and_writes_nothing(gateway, devcluster, team):
    data = gateway.data(DEPLOY, {"input": {"name": "chat", "namespace": team, "model": "tiny-llama",
                                           "engine": {"minReplicas": 1, "maxReplicas": 3, "gpus": 1},
                                           "dryRun": True}})["deployInferenceService"]
    assert data["dryRun"] and data["autoSelected"]
    assert data["runtime"]["runtime"] == {"name": "team-srt", "namespace": team}
    assert data["runtime"]["compatible"] and data["runtime"]["score"] == (1 + 1) * 5  # the CRD defaults weights to 1
    spec = data["service"]["manifest"]["spec"]
    assert spec["model"] == {"name": "tiny-llama", "kind": "BaseModel", "apiGroup": "ome.io"}  # CRD default
    assert spec["runtime"] == {"name": "team-srt", "kind": "ServingRuntime", "apiGroup": "ome.io"}
    assert spec["engine"]["runner"]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert services_in(devcluster, team) == []


def test_deploy_then_read_scale_and_delete(gateway, devcluster, team):
    created = gateway.data(DEPLOY, {"input": {"name": "chat", "namespace": team, "model": "tiny-llama",
                                              "runtime": "team-srt", "labels": [{"key": "team", "value": "nlp"}],
                                              "engine": {"minReplicas": 1, "maxReplicas": 2}}})
    assert not created["deployInferenceService"]["autoSelected"]
    assert services_in(devcluster, team) == ["chat"]
    read = gateway.data("query($ns: String!) { inferenceService(namespace: $ns, name: \"chat\") { runtime { name } "
                        "model { name } } }", {"ns": team})  # the gateway's own write is visible at once
    assert read["inferenceService"] == {"runtime": {"name": "team-srt"}, "model": {"name": "tiny-llama"}}

    scaled = gateway.data(SCALE, {"input": {"namespace": team, "name": "chat", "minReplicas": 2,
                                            "maxReplicas": 6}})["scaleInferenceService"]
    assert scaled["components"] == [{"kind": "ENGINE", "minReplicas": 2, "maxReplicas": 6}]
    stored = devcluster.http.get(f"{OME}/namespaces/{team}/inferenceservices/chat").json()
    assert stored["spec"]["engine"] == {"minReplicas": 2, "maxReplicas": 6}
    assert stored["metadata"]["labels"] == {"team": "nlp"}

    stale = created["deployInferenceService"]["service"]["metadata"]["resourceVersion"]
    conflict = error_of(gateway.query(SCALE, {"input": {"namespace": team, "name": "chat", "maxReplicas": 9,
                                                         "resourceVersion": stale}}))
    assert conflict["code"] == "CONFLICT" and conflict["fields"] == [{"field": "resourceVersion", "message": "stale"}]
    assert int(conflict["currentResourceVersion"]) >= int(scaled["metadata"]["resourceVersion"]) > int(stale)
    assert devcluster.http.get(f"{OME}/namespaces/{team}/inferenceservices/chat").json()["spec"]["engine"][
        "maxReplicas"] == 6

    gone = gateway.data("mutation($ns: String!) { deleteInferenceService(namespace: $ns, name: \"chat\") { kind name "
                        "namespace dryRun } }", {"ns": team})["deleteInferenceService"]
    assert gone == {"kind": "InferenceService", "name": "chat", "namespace": team, "dryRun": False}
    assert services_in(devcluster, team) == []


@pytest.mark.parametrize("change, code, field", [
    ({"name": "Chat_Bot"}, "INVALID_INPUT", "name"),
    ({"name": "x" * 64}, "INVALID_INPUT", "name"),
    ({"namespace": "no-such-namespace", "model": "bge-m3"}, "NOT_FOUND", "namespace"),
    ({"model": "no-such-model"}, "NOT_FOUND", "model"),
    ({"runtime": "no-such-runtime"}, "NOT_FOUND", "runtime"),
    ({"runtime": "srt-mixtral-8x7b-pd", "runtimeScope": "CLUSTER"}, "INVALID_INPUT", "runtime"),
    ({"acceleratorClass": "tpu-v9"}, "NOT_FOUND", "acceleratorClass"),
    ({"acceleratorClass": "l4", "runtime": "team-srt"}, "INVALID_INPUT", "runtime"),  # it declares no classes
    ({"engine": {"minReplicas": 3, "maxReplicas": 1}}, "INVALID_INPUT", "engine.minReplicas"),
    ({"engine": {"maxReplicas": 10 ** 6}}, "INVALID_INPUT", "engine.maxReplicas"),
    ({"engine": {"minReplicas": -1}}, "INVALID_INPUT", "engine.minReplicas"),
    ({"engine": {"memory": "lots"}}, "INVALID_INPUT", "engine.memory"),
    ({"labels": [{"key": "bad key", "value": "x"}]}, "INVALID_INPUT", "labels"),
])
def test_bad_deploys_are_refused_and_change_nothing(gateway, devcluster, team, change, code, field):
    request = {"name": "chat", "namespace": team, "model": "tiny-llama", **change}
    error = error_of(gateway.query(DEPLOY, {"input": request}))
    assert error["code"] == code, error
    assert error["fields"][0]["field"] == field
    assert services_in(devcluster, team) == []


def test_incompatible_runtime_says_why(gateway, team):
    error = error_of(gateway.query(DEPLOY, {"input": {"name": "chat", "namespace": team, "model": "tiny-llama",
                                                      "runtime": "srt-mixtral-8x7b-pd"}}))
    assert "architecture mismatch: model has LlamaForCausalLM, runtime supports MixtralForCausalLM" in error["message"]


def test_deploying_twice_is_already_exists(gateway, devcluster, team):
    request = {"input": {"name": "chat", "namespace": team, "model": "tiny-llama"}}
    gateway.data(DEPLOY, request)
    first = devcluster.http.get(f"{OME}/namespaces/{team}/inferenceservices/chat").json()
    assert error_of(gateway.query(DEPLOY, request))["code"] == "ALREADY_EXISTS"
    assert devcluster.http.get(f"{OME}/namespaces/{team}/inferenceservices/chat").json() == first


def test_scale_checks(gateway, devcluster, team):
    gateway.data(DEPLOY, {"input": {"name": "chat", "namespace": team, "model": "tiny-llama",
                                    "engine": {"minReplicas": 1, "maxReplicas": 2}}})
    before = devcluster.http.get(f"{OME}/namespaces/{team}/inferenceservices/chat").json()
    for change, code, field in [({"minReplicas": 5}, "INVALID_INPUT", "engine.minReplicas"),  # above current max
                                ({}, "INVALID_INPUT", "minReplicas"),
                                ({"component": "DECODER", "maxReplicas": 2}, "INVALID_INPUT", "component"),
                                ({"name": "nope", "maxReplicas": 2}, "NOT_FOUND", "name")]:
        request = {"namespace": team, "name": "chat", **change}
        error = error_of(gateway.query(SCALE, {"input": request}))
        assert (error["code"], error["fields"][0]["field"]) == (code, field)
    after = devcluster.http.get(f"{OME}/namespaces/{team}/inferenceservices/chat").json()
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_mutations_are_not_accepted_over_get(gateway):
    answer = gateway.http.get("/graphql", params={"query": "mutation { deleteModel(name: \"x\") { name } }"})
    assert answer.status_code in (400, 405)
