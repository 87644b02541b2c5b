"""OME's runtime selection rules, one by one, then on the whole upstream catalog."""
from __future__ import annotations

import pytest
import yaml

from ome_gateway.ome import selector, versions


def runtime(name: str, *entries: dict, namespace: str | None = None, **spec) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"kind": "ServingRuntime" if namespace else "ClusterServingRuntime", "metadata": meta,
            "spec": {"supportedModelFormats": list(entries), **spec}}


def entry(**fields) -> dict:
    return {"modelFormat": {"name": "safetensors", "version": "1.0.0"}, "modelArchitecture": "LlamaForCausalLM",
            "autoSelect": True, **fields}


MODEL = {"modelFormat": {"name": "safetensors", "version": "1.0.0"}, "modelArchitecture": "LlamaForCausalLM",
         "modelParameterSize": "8B"}


@pytest.mark.parametrize("model, runtime_version, operator, expected", [
    ("1.0.0", "1.0.0", None, True), ("1.0.0", "1.0.1", None, False), ("1.0.0", "1.0.1", "GreaterThan", True),
    ("1.0.1", "1.0.1", "GreaterThan", False), ("1.0.1", "1.0.1", "GreaterThanOrEqual", True),
    ("1.0", "1.0.0", "GreaterThanOrEqual", False),  # different number of parts
    ("v1.0.0", "1.0.0", None, False),  # different prefix
    ("4.40.0", "4.36.0", "GreaterThanOrEqual", False), ("4.36.0", "4.40.0", "GreaterThanOrEqual", True),
    ("1.0.0-rc1", "1.0.0", "GreaterThanOrEqual", False), ("1.0.0-rc1", "1.0.0-rc1", "GreaterThan", True),
    ("2.1.0.dev3", "2.1.0.dev3", None, True), ("1.0.0+build", "1.0.0", None, False),
])
def test_version_matching(model, runtime_version, operator, expected):
    assert versions.matches(model, runtime_version, operator) is expected


def test_sizes():
    assert selector.parse_size("8B") == 8e9 and selector.parse_size("1.5T") == 1.5e12
    assert selector.parse_size("110M") == 110e6 and selector.parse_size("eight") is None
    assert selector.parse_size(None) is None


def test_a_matching_runtime_is_compatible_and_scored():
    found = selector.match(runtime("r", entry(priority=2)), MODEL)
    assert found.compatible and found.auto_select and found.reasons == ()
    assert found.score == 10 * 2  # no framework on either side: only the format's default weight counts
    with_fw = {**MODEL, "modelFramework": {"name": "transformers", "version": "4.40.0"}}
    scored = selector.match(runtime("r", entry(modelFormat={"name": "safetensors", "version": "1.0.0", "weight": 7},
                                               modelFramework={"name": "transformers", "version": "4.40.0",
                                                               "weight": 3})), with_fw)
    assert scored.score == 7 + 3


@pytest.mark.parametrize("change, reason", [
    ({"disabled": True}, "runtime is disabled"),
    ({"acceleratorRequirements": {"acceleratorClasses": ["l4"]}},
     "runtime does not support the required accelerator class"),
    ({"modelSizeRange": {"min": "30B", "max": "80B"}}, "model size 8B is outside supported range [30B, 80B]"),
])
def test_runtime_level_reasons(change, reason):
    classes = {"h100"} if "acceleratorRequirements" in change else set()
    found = selector.match(runtime("r", entry(), **change), MODEL, classes)
    assert not found.compatible and found.reasons == (reason,)


@pytest.mark.parametrize("fields, reason", [
    ({"modelArchitecture": "Qwen2ForCausalLM"},
     "architecture mismatch: model has LlamaForCausalLM, runtime supports Qwen2ForCausalLM"),
    ({"quantization": "fp8"}, "model has no quantization but runtime requires fp8"),
    ({"modelFormat": {"name": "gguf"}}, "format mismatch: model has safetensors, runtime supports gguf"),
    ({"modelFormat": {"name": "safetensors", "version": "2.0.0"}},
     "format version mismatch: model has 1.0.0, runtime requires Equal 2.0.0"),
    ({"modelFramework": {"name": "transformers"}}, "framework mismatch: model has none, runtime supports transformers"),
])
def test_format_entry_reasons(fields, reason):
    found = selector.match(runtime("r", entry(**fields)), {**MODEL, "modelParameterSize": None})
    assert not found.compatible and found.reasons == (reason,)


def test_a_model_without_format_matches_nothing_and_says_why():
    found = selector.match(runtime("r", entry()), {"modelArchitecture": "LlamaForCausalLM"})
    assert not found.compatible and selector.NO_FORMAT in found.reasons[0]


def test_warnings_unsized_model_and_no_auto_select():
    found = selector.match(runtime("r", entry(autoSelect=False), modelSizeRange={"min": "1B", "max": "9B"}),
                           {**MODEL, "modelParameterSize": None})
    assert found.compatible and not found.auto_select
    assert found.warnings == (selector.UNSIZED, selector.NOT_AUTO)


def test_diffusion_pipeline_components():
    pipeline = {"className": "FluxPipeline", "vae": {"library": "diffusers", "type": "AutoencoderKL"}}
    spec = {"modelFormat": {"name": "safetensors"}, "diffusionPipeline": {
        "className": "FluxPipeline", "vae": {"library": "diffusers", "type": "AutoencoderKL"}}}
    ok = runtime("r", {"modelFormat": {"name": "safetensors"}, "diffusionPipeline": pipeline, "autoSelect": True})
    assert selector.match(ok, spec).compatible
    spec["diffusionPipeline"]["vae"]["type"] = "Other"
    found = selector.match(ok, spec)
    assert found.reasons == ("pipeline vae type mismatch: model has Other, runtime requires AutoencoderKL",)


def test_ranking_follows_ome():
    runtimes = [runtime("b-wide", entry(), modelSizeRange={"min": "1B", "max": "70B"}),
                runtime("a-close", entry(), modelSizeRange={"min": "7B", "max": "9B"}),
                runtime("ns-close", entry(), namespace="team", modelSizeRange={"min": "7B", "max": "9B"}),
                runtime("preferred", entry(priority=3), modelSizeRange={"min": "1B", "max": "70B"}),
                runtime("manual", entry(autoSelect=False)),
                runtime("broken", entry(modelArchitecture="Other"))]
    ranked = selector.rank_runtimes({"spec": MODEL}, runtimes)
    assert [m.runtime["metadata"]["name"] for m in ranked] == [
        "preferred", "ns-close", "a-close", "b-wide", "manual", "broken"]
    assert selector.select({"spec": MODEL}, runtimes).runtime["metadata"]["name"] == "preferred"
    assert selector.select({"spec": MODEL}, runtimes[4:]) is None


def test_requested_accelerator_classes():
    service = {"metadata": {"annotations": {"ome.io/accelerator-class": "a"}},
               "spec": {"acceleratorSelector": {"acceleratorClass": "b"},
                        "engine": {"acceleratorOverride": {"acceleratorClass": "c"}}}}
    assert selector.requested_classes(service) == {"a", "b", "c"}
    assert not selector.match(runtime("r", entry(), acceleratorRequirements={"acceleratorClasses": ["a", "b"]}),
                              MODEL, selector.requested_classes(service)).compatible


def test_upstream_samples(shared_ome):
    """Each upstream sample service names a model and a runtime: where the model states its format the pair is
    compatible or the reasons say why; a model without a format matches nothing and says so."""
    docs = [d for path in shared_ome.glob("*/**/*.yaml") if "crd" not in path.parts
            for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    models = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "ClusterBaseModel"}
    runtimes = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "ClusterServingRuntime"}
    verdicts = {"compatible": 0, "incompatible": 0, "no format": 0}
    for svc in (d for d in docs if d.get("kind") == "InferenceService"):
        model, rt = (svc["spec"].get("model") or {}).get("name"), (svc["spec"].get("runtime") or {}).get("name")
        if model not in models or rt not in runtimes:
            continue
        found = selector.match(runtimes[rt], models[model]["spec"], selector.requested_classes(svc))
        if not (models[model]["spec"].get("modelFormat") or {}).get("name"):
            assert not found.compatible and any(selector.NO_FORMAT in r for r in found.reasons)
            verdicts["no format"] += 1
        elif found.compatible:
            verdicts["compatible"] += 1
        else:
            assert found.reasons and all(r for r in found.reasons)
            verdicts["incompatible"] += 1
    print(f"upstream sample pairs: {verdicts}")
    assert verdicts["compatible"] >= 15 and verdicts["no format"] >= 50
    assert verdicts["incompatible"] <= 2  # xgen-7b: its manifest leaves out architecture and framework
