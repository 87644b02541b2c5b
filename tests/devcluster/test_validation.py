"""SchemaValidator against the real upstream OME CRDs and manifests, plus synthetic schemas."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ome_gateway.devcluster.validation import Cause, SchemaValidator

OME = Path(__file__).resolve().parents[2] / ".." / "shared" / "ome"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Upstream samples written for an older API: kube itself prunes/rejects them the same way.
STALE = {
    "samples/isvc/LGAI-EXAONE/exaone-3-5-7-8b-instruct-isvc.yaml": [
        Cause("FieldValueRequired", "spec.model.name", "Required value")
    ],
    "samples/isvc/zai-org/glm-4-5v.yaml": [],
}


@pytest.fixture(scope="module")
def crds() -> dict[str, dict]:
    """kind -> openAPIV3Schema, each CRD read from the file named after its plural."""
    if not (OME / "crd").is_dir():
        pytest.skip(f"upstream OME checkout not found at {OME.resolve()}")
    out = {}
    for path in sorted((OME / "crd").glob("*.yaml")):
        crd = yaml.load(path.read_text(), Loader=LOADER)
        names = crd["spec"]["names"]
        assert path.name == f"{crd['spec']['group']}_{names['plural']}.yaml"
        out[names["kind"]] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return out


@pytest.fixture(scope="module")
def validators(crds) -> dict[str, SchemaValidator]:
    return {kind: SchemaValidator(schema) for kind, schema in crds.items()}


def manifests(folder: str) -> list[tuple[str, dict]]:
    docs = []
    for path in sorted((OME / folder).rglob("*.y*ml")):
        if path.name != "kustomization.yaml":
            rel = str(path.relative_to(OME))
            docs += [(rel, doc) for doc in yaml.load_all(path.read_text(), Loader=LOADER) if doc is not None]
    return docs


def lost_fields(before: object, after: object, path: str = "") -> list[str]:
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return [path]
        return [p for k, v in before.items()
                for p in ([f"{path}.{k}"] if k not in after else lost_fields(v, after[k], f"{path}.{k}"))]
    if isinstance(before, list) and isinstance(after, list):
        return [p for i, (x, y) in enumerate(zip(before, after)) for p in lost_fields(x, y, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("folder,kind", [("models", "ClusterBaseModel"), ("runtimes", "ClusterServingRuntime"),
                                         ("samples/isvc", "InferenceService")])
def test_upstream_manifests_validate(validators, folder, kind):
    docs = [(rel, doc) for rel, doc in manifests(folder) if doc.get("kind") in validators]
    assert len(docs) > 100 and {doc["kind"] for _, doc in docs} == {kind}
    failures = {}
    for rel, doc in docs:
        before = copy.deepcopy(doc)
        causes = validators[kind].apply(doc)
        if rel in STALE:
            assert causes == STALE[rel], rel
        elif causes or lost_fields(before, doc):
            failures[rel] = (causes, lost_fields(before, doc))
    assert failures == {}


# --- targeted cases against the real CRDs ---------------------------------------------------------------------------


def isvc(**spec) -> dict:
    return {"apiVersion": "ome.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "x"},
            "spec": {"model": {"name": "m"}, **spec}}


def runtime(fmt: dict | None = None, **spec) -> dict:
    fmt = {"modelFormat": {"name": "safetensors"}, "modelFramework": {"name": "transformers"}} if fmt is None else fmt
    return {"apiVersion": "ome.io/v1beta1", "kind": "ClusterServingRuntime", "metadata": {"name": "rt"},
            "spec": {"supportedModelFormats": [fmt], **spec}}


def model(**spec) -> dict:
    return {"apiVersion": "ome.io/v1beta1", "kind": "ClusterBaseModel", "metadata": {"name": "m"},
            "spec": {"storage": {"storageUri": "hf://a/b"}, **spec}}


def fields(causes: list[Cause]) -> list[tuple[str, str]]:
    return [(c.reason, c.field) for c in causes]


def test_wrong_type_has_kube_message(validators):
    causes = validators["InferenceService"].apply(isvc(engine={"minReplicas": "string"}))
    assert causes == [Cause("FieldValueTypeInvalid", "spec.engine.minReplicas",
                            'Invalid value: "string": spec.engine.minReplicas in body must be of type integer: "string"')]


@pytest.mark.parametrize("value,ok,got", [(True, False, "boolean"), (1.5, False, "number"), (2.0, True, None),
                                          (2, True, None), ([], False, "array"), ({}, False, "object")])
def test_integer_type(validators, value, ok, got):
    causes = validators["InferenceService"].apply(isvc(engine={"minReplicas": value}))
    assert causes == ([] if ok else [Cause("FieldValueTypeInvalid", "spec.engine.minReplicas",
                                           f'Invalid value: "{got}": spec.engine.minReplicas in body '
                                           f'must be of type integer: "{got}"')])


def test_missing_required_in_array_item(validators):
    causes = validators["ClusterServingRuntime"].apply(runtime({"modelFormat": {}, "modelFramework": {"name": "t"}}))
    assert causes == [Cause("FieldValueRequired", "spec.supportedModelFormats[0].modelFormat.name", "Required value")]


def test_missing_required_nested_objects(validators):
    obj = model()
    del obj["spec"]["storage"]
    assert fields(validators["ClusterBaseModel"].apply(obj)) == [("FieldValueRequired", "spec.storage")]
    assert fields(validators["ClusterBaseModel"].apply(model(storage={}))) == [
        ("FieldValueRequired", "spec.storage.storageUri")]


def test_enum(validators):
    causes = validators["InferenceService"].apply(isvc(engine={"scaleMetric": "gpu"}))
    assert causes == [Cause("FieldValueNotSupported", "spec.engine.scaleMetric",
                            'Unsupported value: "gpu": supported values: "cpu", "memory", "concurrency", "rps"')]


def test_pattern_on_map_value_and_int_or_string(validators):
    limits = {"cpu": "lots", "memory": "30Gi", "nvidia.com/gpu": 1, "bad": True}
    obj = runtime(engineConfig={"runner": {"name": "r", "resources": {"limits": limits}}})
    causes = validators["ClusterServingRuntime"].apply(obj)
    base = "spec.engineConfig.runner.resources.limits"
    assert fields(causes) == [("FieldValueInvalid", f"{base}[cpu]"), ("FieldValueTypeInvalid", f"{base}[bad]")]
    assert causes[0].message.startswith(f'Invalid value: "lots": {base}[cpu] in body should match \'^(\\+|-)?')
    assert causes[1].message == f'Invalid value: "boolean": {base}[bad] in body must be of type integer,string: "boolean"'


def test_int32_overflow_and_minimum(validators):
    fmt = {"modelFormat": {"name": "s"}, "modelFramework": {"name": "t"}, "priority": 2**31,
           "acceleratorConfig": {"a100": {"minMemoryPerBillionParams": -1}}}
    causes = validators["ClusterServingRuntime"].apply(runtime(fmt))
    assert causes == [
        Cause("FieldValueTypeInvalid", "spec.supportedModelFormats[0].priority",
              "Invalid value: 2147483648: spec.supportedModelFormats[0].priority in body must be of type int32"),
        Cause("FieldValueInvalid", "spec.supportedModelFormats[0].acceleratorConfig[a100].minMemoryPerBillionParams",
              "Invalid value: -1: spec.supportedModelFormats[0].acceleratorConfig[a100].minMemoryPerBillionParams "
              "in body should be greater than or equal to 0"),
    ]
    fmt.update(priority=0, acceleratorConfig={})
    assert fields(validators["ClusterServingRuntime"].apply(runtime(fmt))) == [
        ("FieldValueInvalid", "spec.supportedModelFormats[0].priority")]


def test_unknown_fields_are_pruned_but_root_metadata_kept(validators):
    obj = isvc(bogus=1, engine={"minReplicas": 1, "nope": {"x": 1}})
    obj["metadata"].update(labels={"a": "b"}, whatever={"kept": True})
    obj["extra"] = "x"
    assert validators["InferenceService"].apply(obj) == []
    assert "bogus" not in obj["spec"] and "extra" not in obj
    assert obj["spec"]["engine"] == {"minReplicas": 1}
    assert obj["metadata"] == {"name": "x", "labels": {"a": "b"}, "whatever": {"kept": True}}


def test_preserve_unknown_fields_kept(validators):
    config = {"architectures": ["X"], "nested": {"deep": [1, {"a": None}]}}
    obj = model(modelConfiguration=copy.deepcopy(config), bogus=True)
    assert validators["ClusterBaseModel"].apply(obj) == []
    assert obj["spec"]["modelConfiguration"] == config and "bogus" not in obj["spec"]


def test_defaults_applied_including_array_items(validators):
    obj = isvc(runtime={"name": "rt"})
    assert validators["InferenceService"].apply(obj) == []
    assert obj["spec"]["model"] == {"name": "m", "kind": "ClusterBaseModel", "apiGroup": "ome.io"}
    assert obj["spec"]["runtime"]["kind"] == "ClusterServingRuntime"
    obj = runtime()
    assert validators["ClusterServingRuntime"].apply(obj) == []
    assert obj["spec"]["supportedModelFormats"][0]["modelFormat"] == {"name": "safetensors", "operator": "Equal",
                                                                       "weight": 1}
    obj = isvc(model={"name": "m", "kind": "BaseModel"})
    validators["InferenceService"].apply(obj)
    assert obj["spec"]["model"]["kind"] == "BaseModel"


def test_nulls_are_dropped_or_defaulted(validators):
    obj = isvc(engine={"minReplicas": None}, model={"name": "m", "kind": None})
    assert validators["InferenceService"].apply(obj) == []
    assert obj["spec"]["engine"] == {} and obj["spec"]["model"]["kind"] == "ClusterBaseModel"
    obj = isvc(model={"name": None})
    assert fields(validators["InferenceService"].apply(obj)) == [("FieldValueRequired", "spec.model.name")]
    assert "name" not in obj["spec"]["model"]
    obj = runtime(protocolVersions=["openAI", None])
    assert fields(validators["ClusterServingRuntime"].apply(obj)) == [
        ("FieldValueTypeInvalid", "spec.protocolVersions[1]")]


@pytest.mark.parametrize("obj,expected", [
    ({"kind": "InferenceService", "spec": []},
     [Cause("FieldValueTypeInvalid", "spec", 'Invalid value: "array": spec in body must be of type object: "array"')]),
    ({"kind": "InferenceService", "spec": "x", "metadata": 3}, [("FieldValueTypeInvalid", "spec"),
                                                                ("FieldValueTypeInvalid", "metadata")]),
    ({"kind": "InferenceService", "spec": {"model": "m", "engine": None}}, [("FieldValueTypeInvalid", "spec.model")]),
    ({"spec": {"model": {"name": 10**40}}}, [("FieldValueTypeInvalid", "spec.model.name")]),
    ([], [("FieldValueTypeInvalid", "")]),
    (None, [("FieldValueTypeInvalid", "")]),
    ("spec", [("FieldValueTypeInvalid", "")]),
])
def test_garbage_never_raises(validators, obj, expected):
    causes = validators["InferenceService"].apply(obj)
    assert (causes if isinstance(expected[0], Cause) else fields(causes)) == expected


def test_deep_nesting_and_huge_numbers(validators):
    deep: object = 1
    for _ in range(50_000):
        deep = [deep]
    obj = isvc(engine={"minReplicas": deep, "priority": 10**400}, router={"minReplicas": 1e308})
    obj["spec"]["model"]["fineTunedWeights"] = [deep]
    assert fields(validators["InferenceService"].apply(obj)) == [
        ("FieldValueTypeInvalid", "spec.model.fineTunedWeights[0]"), ("FieldValueTypeInvalid", "spec.engine.minReplicas"),
        ("FieldValueTypeInvalid", "spec.engine.priority")]
    assert validators["ClusterBaseModel"].apply(model(modelConfiguration={"x": deep})) == []


def test_all_causes_in_document_order(validators):
    obj = isvc(engine={"minReplicas": "a", "maxReplicas": "b", "scaleMetric": "x"}, router={"minReplicas": "c"})
    obj["spec"]["model"] = {"kind": 5}
    assert fields(validators["InferenceService"].apply(obj)) == [
        ("FieldValueRequired", "spec.model.name"), ("FieldValueTypeInvalid", "spec.model.kind"),
        ("FieldValueTypeInvalid", "spec.engine.minReplicas"),
        ("FieldValueTypeInvalid", "spec.engine.maxReplicas"), ("FieldValueNotSupported", "spec.engine.scaleMetric"),
        ("FieldValueTypeInvalid", "spec.router.minReplicas")]


# --- synthetic schemas for keywords the OME CRDs do not use --------------------------------------------------------


def check(schema: dict, value: object) -> list[Cause]:
    obj = {"spec": {"v": value}}
    return SchemaValidator({"type": "object", "properties": {"spec": {"type": "object", "properties": {"v": schema}}}}
                           ).apply(obj)


@pytest.mark.parametrize("schema,value,reason,message", [
    ({"type": "number", "minimum": 1, "exclusiveMinimum": True}, 1, "FieldValueInvalid",
     "Invalid value: 1: spec.v in body should be greater than 1"),
    ({"type": "number", "maximum": 2}, 2.5, "FieldValueInvalid",
     "Invalid value: 2.5: spec.v in body should be less than or equal to 2"),
    ({"type": "integer", "maximum": 2, "exclusiveMaximum": True}, 2, "FieldValueInvalid",
     "Invalid value: 2: spec.v in body should be less than 2"),
    ({"type": "number"}, False, "FieldValueTypeInvalid",
     'Invalid value: "boolean": spec.v in body must be of type number: "boolean"'),
    ({"type": "integer", "format": "int64"}, 2**63, "FieldValueTypeInvalid",
     "Invalid value: 9223372036854775808: spec.v in body must be of type int64"),
    ({"type": "string", "minLength": 2}, "a", "FieldValueInvalid",
     'Invalid value: "a": spec.v in body should be at least 2 chars long'),
    ({"type": "string", "maxLength": 2}, "abc", "FieldValueTooLong", "Too long: may not be longer than 2"),
    ({"type": "string", "pattern": "^[a-z]+$"}, "abc\n", "FieldValueInvalid",
     "Invalid value: \"abc\\n\": spec.v in body should match '^[a-z]+$'"),
    ({"type": "string", "format": "date-time"}, "2024-02-30T00:00:00Z", "FieldValueTypeInvalid",
     'Invalid value: "2024-02-30T00:00:00Z": spec.v in body must be of type date-time: "2024-02-30T00:00:00Z"'),
    ({"type": "array", "maxItems": 1, "items": {"type": "integer"}}, [1, 2], "FieldValueTooMany",
     "Too many: 2: must have at most 1 items"),
    ({"type": "array", "minItems": 1}, [], "FieldValueInvalid",
     "Invalid value: 0: spec.v in body should have at least 1 items"),
    ({"type": "object", "additionalProperties": True, "maxProperties": 1}, {"a": 1, "b": 2}, "FieldValueTooMany",
     "Too many: 2: must have at most 1 items"),
    ({"type": "object", "x-kubernetes-preserve-unknown-fields": True, "minProperties": 1}, {}, "FieldValueInvalid",
     "Invalid value: 0: spec.v in body should have at least 1 properties"),
    ({"type": "integer", "enum": [1, 2]}, True, "FieldValueTypeInvalid",
     'Invalid value: "boolean": spec.v in body must be of type integer: "boolean"'),
    ({"enum": [1, "a"]}, 3, "FieldValueNotSupported", 'Unsupported value: 3: supported values: "1", "a"'),
    ({"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}], "pattern": "^a"},
     "b", "FieldValueInvalid", "Invalid value: \"b\": spec.v in body should match '^a'"),
    ({"type": "string", "anyOf": [{"enum": ["a"]}, {"pattern": "^b"}]}, "c", "FieldValueInvalid",
     'Invalid value: "c": spec.v in body must validate at least one schema (anyOf)'),
    ({"type": "integer", "oneOf": [{"minimum": 1}, {"maximum": 5}]}, 3, "FieldValueInvalid",
     "Invalid value: 3: spec.v in body must validate one and only one schema (oneOf)"),
    ({"type": "string", "not": {"enum": ["x"]}}, "x", "FieldValueInvalid",
     'Invalid value: "x": spec.v in body must not validate the schema (not)'),
    ({"type": "integer", "allOf": [{"minimum": 5}]}, 3, "FieldValueInvalid",
     "Invalid value: 3: spec.v in body should be greater than or equal to 5"),
])
def test_keyword(schema, value, reason, message):
    assert check(schema, value) == [Cause(reason, "spec.v", message)]


@pytest.mark.parametrize("schema,value", [
    ({"type": "string", "format": "date-time"}, "2024-01-02T03:04:05.123456789+02:00"),
    ({"type": "string", "format": "email"}, "not an email"),
    ({"type": "string", "pattern": "b"}, "abc"),
    ({"x-kubernetes-int-or-string": True, "pattern": "^a"}, 7),
    ({"type": "string", "anyOf": [{"enum": ["a"]}, {"pattern": "^b"}]}, "b"),
    ({"type": "integer", "not": {"minimum": 5}}, 3),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "anyOf": [{"required": ["a"]}, {"required": ["b"]}]},
     {"a": "x"}),
    ({"type": "string", "nullable": True, "minLength": 3}, None),
    ({"type": "number", "minimum": 0}, 10**400),
])
def test_keyword_accepts(schema, value):
    assert check(schema, value) == []


def test_nullable_null_is_kept_and_not_defaulted():
    obj = {"a": None, "b": None}
    schema = {"type": "object", "properties": {"a": {"type": "string", "nullable": True, "default": "x"},
                                               "b": {"type": "string"}}}
    assert SchemaValidator(schema).apply(obj) == [] and obj == {"a": None}


def test_null_array_items_take_the_item_default():
    obj = {"l": [None, "x"]}
    schema = {"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string", "default": "d"}}}}
    assert SchemaValidator(schema).apply(obj) == [] and obj == {"l": ["d", "x"]}


def test_map_values_are_defaulted_and_pruned():
    schema = {"type": "object", "properties": {"m": {"type": "object", "additionalProperties": {
        "type": "object", "default": {"x": 1}, "properties": {"x": {"type": "integer"}, "y": {"default": "d"}}}}}}
    obj = {"m": {"a": None, "b": {"x": 2, "junk": 1}}}
    assert SchemaValidator(schema).apply(obj) == []
    assert obj == {"m": {"a": {"x": 1, "y": "d"}, "b": {"x": 2, "y": "d"}}}


def test_object_without_properties_prunes_everything():
    obj = {"spec": {"a": 1, "b": {"c": 2}}}
    assert SchemaValidator({"type": "object", "properties": {"spec": {"type": "object"}}}).apply(obj) == []
    assert obj == {"spec": {}}


def test_preserve_unknown_with_properties_validates_known():
    schema = {"type": "object", "properties": {"s": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                                                     "properties": {"n": {"type": "integer"}}}}}
    obj = {"s": {"n": "x", "other": {"kept": None}}}
    assert fields(SchemaValidator(schema).apply(obj)) == [("FieldValueTypeInvalid", "s.n")]
    assert obj == {"s": {"n": "x", "other": {"kept": None}}}


def test_embedded_resource():
    schema = {"type": "object", "properties": {"t": {"type": "object", "x-kubernetes-embedded-resource": True,
                                                     "properties": {"spec": {"type": "object"}}}}}
    obj = {"t": {"metadata": {"name": "n", "x": 1}, "junk": 1, "kind": "Pod"}}
    assert SchemaValidator(schema).apply(obj) == [Cause("FieldValueRequired", "t.apiVersion",
                                                        "Required value: must not be empty")]
    assert obj == {"t": {"metadata": {"name": "n", "x": 1}, "kind": "Pod"}}


def test_duplicate_causes_reported_once():
    schema = {"type": "object", "properties": {"v": {"type": "integer", "minimum": 5, "allOf": [{"minimum": 5}]}}}
    assert len(SchemaValidator(schema).apply({"v": 1})) == 1


def test_patterns_compiled_once(monkeypatch):
    validator = SchemaValidator({"type": "object", "additionalProperties": {"type": "string", "pattern": "^a"}})
    compiled = []
    real_compile = __import__("re").compile
    monkeypatch.setattr("ome_gateway.devcluster.validation.re.compile",
                        lambda p, *a: compiled.append(p) or real_compile(p, *a))
    assert fields(validator.apply({str(i): "b" for i in range(100)})) == [("FieldValueInvalid", f"[{i}]")
                                                                          for i in range(100)]
    assert compiled == ["^a"]
