"""Every kind the gateway writes, through every mutation, validates against OME's upstream CRDs: a dev cluster
serving only those CRDs (which answers 422 on any violation and prunes unknown fields) accepts it unchanged."""
from __future__ import annotations

import pytest
import yaml

from support import OME, DevCluster, Gateway, wait_for

MODEL_SPEC = {"modelFormat": {"name": "safetensors", "version": "1.0.0"},
              "modelFramework": {"name": "transformers", "version": "4.40.0"},
              "modelArchitecture": "LlamaForCausalLM", "modelParameterSize": "8B",
              "modelCapabilities": ["TEXT_GENERATION"], "storage": {"storageUri": "hf://acme/llama", "path": "/m"}}
RUNTIME_SPEC = {"supportedModelFormats": [{
    "modelFormat": {"name": "safetensors", "version": "1.0.0"},
    "modelFramework": {"name": "transformers", "version": "4.45.0", "operator": "GreaterThanOrEqual"},
    "modelArchitecture": "LlamaForCausalLM", "autoSelect": True, "priority": 1}],
    "modelSizeRange": {"min": "1B", "max": "70B"}, "protocolVersions": ["openAI"],
    "acceleratorRequirements": {"acceleratorClasses": ["gpu-a"]},
    "engineConfig": {"runner": {"name": "ome-container", "image": "example/engine:1"}}}
ACCELERATOR = """apiVersion: ome.io/v1beta1
kind: AcceleratorClass
metadata: {name: gpu-a}
spec:
  capabilities: {memoryGB: "80Gi"}
  discovery: {nodeSelector: {gpu: a}}
"""


@pytest.fixture(scope="module")
def upstream(tmp_path_factory, shared_ome):
    cluster = DevCluster(tmp_path_factory.mktemp("upstream"), seed="none")
    gateway = None
    try:
        for path in sorted((shared_ome / "crd").glob("*.yaml")):
            cluster.http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                              json=yaml.safe_load(path.read_text())).raise_for_status()
        cluster.http.post("/api/v1/namespaces", json={"metadata": {"name": "team"}}).raise_for_status()
        gateway = Gateway(cluster.kubeconfig)
        yield cluster, gateway
    finally:
        if gateway:
            gateway.stop()
        cluster.stop()


def test_each_mutation_writes_objects_the_upstream_crds_accept(upstream):
    cluster, gw = upstream
    catalog = "mutation($i: CatalogObjectInput!) { %s(input: $i) { name } }"
    gw.data(catalog % "createModel", {"i": {"name": "llama", "spec": MODEL_SPEC}})
    gw.data(catalog % "createModel", {"i": {"name": "llama", "namespace": "team", "spec": MODEL_SPEC}})
    gw.data(catalog % "createRuntime", {"i": {"name": "srt", "spec": RUNTIME_SPEC}})
    gw.data("mutation { cloneRuntime(name: \"srt\", newName: \"srt-team\", newNamespace: \"team\") { name } }")
    gw.data("mutation($y: String!) { applyManifest(yaml: $y) { applied } }", {"y": ACCELERATOR})
    update = "mutation($i: CatalogUpdateInput!) { %s(input: $i) { name } }"
    gw.data(update % "updateModel", {"i": {"name": "llama", "spec": {**MODEL_SPEC, "displayName": "Llama"}}})
    gw.data(update % "updateRuntime", {"i": {"name": "srt", "spec": {**RUNTIME_SPEC, "disabled": False}}})
    wait_for(lambda: gw.data("{ acceleratorClass(name: \"gpu-a\") { name } model(name: \"llama\", namespace: "
                             "\"team\") { name } }")["acceleratorClass"])
    deploy = """mutation($i: DeployInferenceServiceInput!) { deployInferenceService(input: $i) {
      autoSelected runtime { runtime { name namespace } } service { manifest } } }"""
    auto = gw.data(deploy, {"i": {"name": "chat", "namespace": "team", "model": "llama", "acceleratorClass": "gpu-a",
                                  "engine": {"minReplicas": 1, "maxReplicas": 2, "cpu": "4", "memory": "32Gi",
                                             "gpus": 1}, "decoder": {"minReplicas": 1},
                                  "router": {"minReplicas": 1}, "labels": [{"key": "app", "value": "chat"}]}})
    assert auto["deployInferenceService"]["runtime"]["runtime"] == {"name": "srt-team", "namespace": "team"}
    gw.data(deploy, {"i": {"name": "named", "namespace": "team", "model": "llama", "modelScope": "CLUSTER",
                           "runtime": "srt", "runtimeScope": "CLUSTER"}})
    gw.data("mutation { scaleInferenceService(input: {namespace: \"team\", name: \"chat\", component: DECODER, "
            "minReplicas: 2, maxReplicas: 3}) { name } }")

    written = auto["deployInferenceService"]["service"]["manifest"]
    stored = cluster.http.get(f"{OME}/namespaces/team/inferenceservices/chat").json()
    assert stored["spec"]["engine"] == written["spec"]["engine"]  # nothing pruned
    assert stored["spec"]["decoder"] == {"minReplicas": 2, "maxReplicas": 3}
    assert stored["spec"]["acceleratorSelector"] == {"acceleratorClass": "gpu-a"}
    model = cluster.http.get(f"{OME}/clusterbasemodels/llama").json()["spec"]
    assert model["displayName"] == "Llama" and model["storage"] == MODEL_SPEC["storage"]
    runtime = cluster.http.get(f"{OME}/namespaces/team/servingruntimes/srt-team").json()["spec"]
    assert runtime["supportedModelFormats"][0]["modelFramework"]["operator"] == "GreaterThanOrEqual"
