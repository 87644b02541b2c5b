"""JSON patch, JSON merge patch and strategic merge patch, as the dev cluster's PATCH verb applies them."""
import copy
import json

import pytest

from ome_gateway.devcluster.patch import PATCH_TYPES, PatchError, UnsupportedPatch, apply_patch

JSON = "application/json-patch+json"
MERGE = "application/merge-patch+json"
SMP = "application/strategic-merge-patch+json"

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}, "finalizers": ["a.io/x", "b.io/y"]},
    "spec": {"replicas": 1, "template": {"spec": {
        "imagePullSecrets": [{"name": "regcred"}],
        "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}],
        "containers": [
            {"name": "app", "image": "web:1", "env": [{"name": "MODE", "value": "prod"}],
             "envFrom": [{"configMapRef": {"name": "one"}}],
             "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090, "name": "metrics"}],
             "volumeMounts": [{"mountPath": "/data", "name": "data"}, {"mountPath": "/cache", "name": "cache"}]},
            {"name": "sidecar", "image": "proxy:1"},
        ]}}},
    "status": {"conditions": [{"type": "Available", "status": "False"}, {"type": "Progressing", "status": "True"}]},
}


def patched(content_type, patch, target=DEPLOYMENT, strategic=True):
    return apply_patch(content_type, target, json.dumps(patch).encode(), strategic=strategic)


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def container(obj, name):
    return next(c for c in pod_spec(obj)["containers"] if c["name"] == name)


@pytest.mark.parametrize("ops, check", [
    ([{"op": "replace", "path": "/spec/replicas", "value": 3}], lambda o: o["spec"]["replicas"] == 3),
    ([{"op": "add", "path": "/metadata/labels/new", "value": "1"}], lambda o: o["metadata"]["labels"]["new"] == "1"),
    ([{"op": "remove", "path": "/spec/template/spec/containers/1"}],
     lambda o: [c["name"] for c in pod_spec(o)["containers"]] == ["app"]),
    ([{"op": "test", "path": "/spec/replicas", "value": 1}, {"op": "replace", "path": "/spec/replicas", "value": 2}],
     lambda o: o["spec"]["replicas"] == 2),
])
def test_json_patch_applies(ops, check):
    assert check(patched(JSON, ops))


@pytest.mark.parametrize("ops, message", [
    ({"op": "replace", "path": "/spec/replicas", "value": 3}, "must be a JSON array"),
    ([{"op": "test", "path": "/spec/replicas", "value": 7}], "test operation failed"),
    ([{"op": "remove", "path": "/spec/nothing"}], "could not be applied"),
    ([{"op": "frobnicate", "path": "/spec"}], "could not be applied: Unknown operation"),
    ([{"op": "add", "path": "spec", "value": 1}], "could not be applied: Location must start with /"),
])
def test_json_patch_errors(ops, message):
    with pytest.raises(PatchError, match=message):
        patched(JSON, ops)


@pytest.mark.parametrize("target, patch, expected", [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": {"b": "c", "d": "e"}}, {"a": {"b": None, "f": "g"}}, {"a": {"d": "e", "f": "g"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"a": "foo"}, {"a": {"b": {"c": None}}}, {"a": {"b": {}}}),
    ({"a": "b"}, ["c"], ["c"]),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
])
def test_merge_patch_rfc7386(target, patch, expected):
    assert patched(MERGE, patch, target) == expected


def test_merge_patch_replaces_lists_of_containers():
    new = patched(MERGE, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}}})
    assert pod_spec(new)["containers"] == [{"name": "app", "image": "web:2"}]
    assert new["spec"]["replicas"] == 1


# kubectl set image / kubectl apply after changing one image: $setElementOrder plus the changed element.
SET_IMAGE = {"spec": {"template": {"spec": {
    "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
    "containers": [{"name": "app", "image": "web:2"}]}}}}
# kubectl apply after adding an env var to one container.
ADD_ENV = {"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
           "spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
                    "containers": [{"$setElementOrder/env": [{"name": "MODE"}, {"name": "DEBUG"}],
                                    "env": [{"name": "DEBUG", "value": "1"}], "name": "app"}]}}}}
# kubectl apply after removing the sidecar from the manifest.
DROP_SIDECAR = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "app"}],
                                               "containers": [{"$patch": "delete", "name": "sidecar"}]}}}}


@pytest.mark.parametrize("patch, check", [
    (SET_IMAGE, lambda o: [(c["name"], c["image"]) for c in pod_spec(o)["containers"]]
     == [("app", "web:2"), ("sidecar", "proxy:1")] and container(o, "app")["ports"][0]["containerPort"] == 8080),
    (ADD_ENV, lambda o: container(o, "app")["env"] == [{"name": "MODE", "value": "prod"}, {"name": "DEBUG", "value": "1"}]
     and o["metadata"]["annotations"] and o["metadata"]["labels"] == {"app": "web", "tier": "front"}),
    (DROP_SIDECAR, lambda o: [c["name"] for c in pod_spec(o)["containers"]] == ["app"]),
    ({"spec": {"template": {"spec": {"containers": [{"name": "new", "image": "n:1"}]}}}},
     lambda o: [c["name"] for c in pod_spec(o)["containers"]] == ["app", "sidecar", "new"]),
    ({"spec": {"template": {"spec": {"containers": [{"name": "app", "env": [{"name": "MODE", "value": None}]}]}}}},
     lambda o: container(o, "app")["env"] == [{"name": "MODE"}]),
    ({"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [{"containerPort": 9090, "name": "m"}]}]}}}},
     lambda o: container(o, "app")["ports"] == [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090, "name": "m"}]),
    ({"spec": {"template": {"spec": {"containers": [{"name": "app", "volumeMounts": [
        {"mountPath": "/cache", "readOnly": True}, {"$patch": "delete", "mountPath": "/data"}]}]}}}},
     lambda o: container(o, "app")["volumeMounts"] == [{"mountPath": "/cache", "name": "cache", "readOnly": True}]),
    ({"spec": {"template": {"spec": {"containers": [{"name": "app", "envFrom": [{"secretRef": {"name": "two"}}]}]}}}},
     lambda o: container(o, "app")["envFrom"] == [{"secretRef": {"name": "two"}}]),
    ({"spec": {"template": {"spec": {"volumes": [{"name": "cache", "emptyDir": {"medium": "Memory"}}],
                                     "imagePullSecrets": [{"name": "other"}]}}}},
     lambda o: pod_spec(o)["volumes"][1] == {"name": "cache", "emptyDir": {"medium": "Memory"}}
     and pod_spec(o)["imagePullSecrets"] == [{"name": "regcred"}, {"name": "other"}]),
    ({"status": {"conditions": [{"type": "Available", "status": "True"}]}},
     lambda o: o["status"]["conditions"] == [{"type": "Available", "status": "True"},
                                             {"type": "Progressing", "status": "True"}]),
    ({"spec": {"template": {"spec": {"containers": [{"name": "solo", "image": "s:1"}, {"$patch": "replace"}]}}}},
     lambda o: pod_spec(o)["containers"] == [{"name": "solo", "image": "s:1"}]),
    ({"metadata": {"labels": {"$patch": "replace", "only": "this"}}},
     lambda o: o["metadata"]["labels"] == {"only": "this"}),
    ({"metadata": {"labels": {"$patch": "delete"}}}, lambda o: "labels" not in o["metadata"]),
    ({"spec": {"replicas": None, "paused": True}}, lambda o: "replicas" not in o["spec"] and o["spec"]["paused"]),
    ({"metadata": {"finalizers": ["c.io/z"]}}, lambda o: o["metadata"]["finalizers"] == ["c.io/z"]),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"]}},
     lambda o: o["metadata"]["finalizers"] == ["b.io/y"]),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"], "finalizers": ["c.io/z", "b.io/y"]}},
     lambda o: o["metadata"]["finalizers"] == ["b.io/y", "c.io/z"]),
    ({"metadata": {"finalizers": ["a.io/x"], "$deleteFromPrimitiveList/finalizers": ["a.io/x", "b.io/y"]}},
     lambda o: o["metadata"]["finalizers"] == ["a.io/x"]),  # deletions apply first, whatever the key order
    ({"metadata": {"$setElementOrder/finalizers": ["b.io/y", "c.io/z"], "finalizers": ["c.io/z"]}},
     lambda o: o["metadata"]["finalizers"] == ["a.io/x", "b.io/y", "c.io/z"]),
    ({"spec": {"$retainKeys": ["replicas"], "replicas": 4}}, lambda o: o["spec"]["replicas"] == 4
     and "$retainKeys" not in o["spec"] and "template" in o["spec"]),
    ({"spec": {"strategy": {"type": "Recreate", "$patch": "replace"}}},
     lambda o: o["spec"]["strategy"] == {"type": "Recreate"}),
])
def test_strategic_merge_patch(patch, check):
    assert check(patched(SMP, patch))


def test_strategic_merge_patch_service_ports_merge_by_port():
    service = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]}}
    new = patched(SMP, {"spec": {"ports": [{"port": 443, "targetPort": 9443}]}}, service)
    assert new["spec"]["ports"] == [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 9443}]


@pytest.mark.parametrize("patch, message", [
    ({"spec": {"$frob": 1}}, r"unknown patch directive \$frob"),
    ({"spec": {"$patch": "merge"}}, r'unknown patch directive \$patch: "merge"'),
    ({"spec": {"template": {"spec": {"containers": [{"$patch": "keep", "name": "app"}]}}}},
     r'unknown patch directive \$patch: "keep" in containers'),
    ({"spec": {"template": {"spec": {"containers": [{"image": "web:2"}]}}}},
     "containers: every element must contain the merge key name"),
    ({"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}},
     "containers: every element must contain the merge key name"),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": "a.io/x"}},
     r"\$deleteFromPrimitiveList/finalizers must be a list"),
    ([{"op": "replace"}], "a strategic merge patch must be a JSON object"),
])
def test_strategic_merge_patch_errors(patch, message):
    with pytest.raises(PatchError, match=message):
        patched(SMP, patch)


def test_strategic_delete_of_whole_object_leaves_empty_map():
    assert patched(SMP, {"$patch": "delete"}) == {}


@pytest.mark.parametrize("content_type, strategic, message", [
    (SMP, False, r"accepted media types include: application/json-patch\+json, application/merge-patch\+json$"),
    ("application/apply-patch+yaml", True, "unknown format - accepted media types include: .*strategic-merge"),
    ("application/json", True, "unknown format"),
])
def test_unsupported_patch_types(content_type, strategic, message):
    with pytest.raises(UnsupportedPatch, match=message) as err:
        patched(content_type, {"spec": {}}, strategic=strategic)
    assert isinstance(err.value, PatchError)


@pytest.mark.parametrize("content_type", [MERGE + "; charset=utf-8", " Application/Merge-Patch+JSON "])
def test_content_type_parameters_and_case_ignored(content_type):
    assert patched(content_type, {"spec": {"replicas": 5}})["spec"]["replicas"] == 5


@pytest.mark.parametrize("content_type", list(PATCH_TYPES))
@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b""])
def test_invalid_json_body(content_type, body):
    with pytest.raises(PatchError, match="could not be decoded as JSON"):
        apply_patch(content_type, DEPLOYMENT, body, strategic=True)


@pytest.mark.parametrize("content_type, patch", [
    (JSON, [{"op": "replace", "path": "/spec/replicas", "value": 9}]),
    (MERGE, {"spec": {"replicas": 9}}),
    (SMP, {"spec": {"replicas": 9}}),
])
def test_target_is_not_mutated_nor_shared(content_type, patch):
    before = copy.deepcopy(DEPLOYMENT)
    new = patched(content_type, patch)
    assert new["spec"]["replicas"] == 9 and DEPLOYMENT == before
    new["metadata"]["labels"]["mutated"] = "yes"
    container(new, "app")["image"] = "mutated"
    assert DEPLOYMENT == before
