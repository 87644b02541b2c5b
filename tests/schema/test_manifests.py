"""applyManifest and validateManifest: all or nothing, per-document results, and no way to hurt the gateway with
YAML."""
from __future__ import annotations

import pytest

from support import OME

APPLY = """mutation($yaml: String!, $dry: Boolean!) { applyManifest(yaml: $yaml, dryRun: $dry) {
  dryRun valid applied documents { index kind name namespace action applied error { code message fields { field
  message } } } } }"""
VALIDATE = """mutation($yaml: String!) { validateManifest(yaml: $yaml) { valid applied documents { index action
  error { code fields { field } } } } }"""


def model(name: str, namespace: str, arch: str = "LlamaForCausalLM") -> str:
    return f"""apiVersion: ome.io/v1beta1
kind: BaseModel
metadata: {{name: {name}, namespace: {namespace}, labels: {{source: manifest}}}}
spec:
  modelFormat: {{name: safetensors, version: "1.0.0"}}
  modelArchitecture: {arch}
  storage: {{storageUri: "hf://acme/{name}"}}
"""


def runtime(name: str, namespace: str) -> str:
    return f"""apiVersion: ome.io/v1beta1
kind: ServingRuntime
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  supportedModelFormats:
    - modelFormat: {{name: safetensors}}
      modelFramework: {{name: transformers}}
      autoSelect: true
"""


def stored(devcluster, ns, plural) -> dict:
    return {i["metadata"]["name"]: i for i in devcluster.http.get(f"{OME}/namespaces/{ns}/{plural}").json()["items"]}


def test_apply_creates_then_updates(gateway, devcluster, ns):
    text = model("a", ns) + "---\n" + runtime("r", ns)
    dry = gateway.data(APPLY, {"yaml": text, "dry": True})["applyManifest"]
    assert dry["valid"] and not dry["applied"] and [d["action"] for d in dry["documents"]] == ["CREATE", "CREATE"]
    assert stored(devcluster, ns, "basemodels") == {}
    done = gateway.data(APPLY, {"yaml": text, "dry": False})["applyManifest"]
    assert done["applied"] and [(d["kind"], d["name"], d["applied"]) for d in done["documents"]] == [
        ("BaseModel", "a", True), ("ServingRuntime", "r", True)]
    assert set(stored(devcluster, ns, "servingruntimes")) == {"r"}
    again = gateway.data(APPLY, {"yaml": model("a", ns, "Qwen2ForCausalLM"), "dry": False})["applyManifest"]
    assert again["documents"][0]["action"] == "UPDATE"
    after = stored(devcluster, ns, "basemodels")["a"]
    assert after["spec"]["modelArchitecture"] == "Qwen2ForCausalLM" and after["metadata"]["labels"] == {
        "source": "manifest"}


def test_one_bad_document_writes_nothing(gateway, devcluster, ns):
    bad = model("b", ns).replace('version: "1.0.0"', "version: [1]")
    answer = gateway.data(APPLY, {"yaml": model("a", ns) + "---\n" + bad, "dry": False})["applyManifest"]
    assert not answer["valid"] and not answer["applied"]
    first, second = answer["documents"]
    assert first["error"] is None and not first["applied"]
    assert second["error"]["code"] == "INVALID_INPUT"
    assert second["error"]["fields"][0]["field"] == "spec.modelFormat.version"
    assert stored(devcluster, ns, "basemodels") == {}


def test_validate_reports_field_paths_and_kinds(gateway, devcluster, ns):
    text = "\n---\n".join([model("ok", ns), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}",
                           "just a string", model("dup", ns), model("dup", ns),
                           f"apiVersion: ome.io/v1beta1\nkind: ClusterBaseModel\nmetadata: {{name: c, namespace: {ns}}}"
                           "\nspec: {}",
                           "apiVersion: ome.io/v1beta1\nkind: BaseModel\nmetadata: {name: n}\nspec: {}",
                           model("wrong", ns).replace("modelArchitecture: LlamaForCausalLM", "maxTokens: lots")])
    answer = gateway.data(VALIDATE, {"yaml": text})["validateManifest"]
    fields = [(d["error"] or {}).get("fields", [{}])[0].get("field") for d in answer["documents"]]
    assert fields == [None, "documents[1].kind", "documents[2]", None, "documents[4]", "documents[5].metadata.namespace",
                      "documents[6].metadata.namespace", "spec.maxTokens"]
    assert not answer["valid"] and not answer["applied"] and stored(devcluster, ns, "basemodels") == {}


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9))


@pytest.mark.parametrize("text, message", [
    (BOMB, "aliases"),
    ("[" * 200 + "]" * 200, "nests deeper"),
    ("key: [unclosed", "not valid YAML"),
    ("apiVersion: v1\nkind: x\n---\n" * 101, "at most 100 documents"),
    ("   \n", "empty"),
    ("# only a comment\n", "no documents"),
])
def test_hostile_yaml_is_refused(gateway, text, message):
    """Refused before any object is built (the request body limit caps the size first)."""
    answer = gateway.query(APPLY, {"yaml": text, "dry": False})
    assert answer["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert message in answer["errors"][0]["message"]
