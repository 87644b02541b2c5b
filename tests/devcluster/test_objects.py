"""Object semantics of the dev cluster, driven through kubernetes_asyncio over HTTP."""
from __future__ import annotations

import json

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

OME = ("ome.io", "v1beta1")


def isvc(name: str, ns: str, **spec) -> dict:
    return {"apiVersion": "ome.io/v1beta1", "kind": "InferenceService", "metadata": {"name": name, "namespace": ns},
            "spec": {"model": {"name": "llama-3-1-8b-instruct"}, "engine": {"minReplicas": 1, "maxReplicas": 2},
                     **spec}}


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


async def test_core_crud_and_conflicts(kube, ns):
    core = client.CoreV1Api(kube)
    cm = await core.create_namespaced_config_map(ns, {"metadata": {"name": "c1", "labels": {"a": "1"}},
                                                      "data": {"k": "v"}})
    assert cm.metadata.uid and cm.metadata.creation_timestamp and int(cm.metadata.resource_version) > 0
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_config_map(ns, {"metadata": {"name": "c1"}})
    assert err.value.status == 409 and status_of(err.value)["reason"] == "AlreadyExists"
    stale = cm.metadata.resource_version
    cm.data = {"k": "v2"}
    updated = await core.replace_namespaced_config_map("c1", ns, cm)
    assert int(updated.metadata.resource_version) > int(stale)
    cm.metadata.resource_version = stale
    with pytest.raises(ApiException) as err:
        await core.replace_namespaced_config_map("c1", ns, cm)
    assert err.value.status == 409 and status_of(err.value)["reason"] == "Conflict"
    assert (await core.read_namespaced_config_map("c1", ns)).data == {"k": "v2"}
    await core.delete_namespaced_config_map("c1", ns)
    with pytest.raises(ApiException) as err:
        await core.read_namespaced_config_map("c1", ns)
    body = status_of(err.value)
    assert err.value.status == 404 and body["kind"] == "Status" and body["reason"] == "NotFound"
    assert body["message"] == 'configmaps "c1" not found'


async def test_namespace_must_exist_and_names_are_validated(kube):
    core = client.CoreV1Api(kube)
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_config_map("no-such-ns", {"metadata": {"name": "x"}})
    assert err.value.status == 404 and 'namespaces "no-such-ns" not found' in status_of(err.value)["message"]
    with pytest.raises(ApiException) as err:
        await core.create_namespace({"metadata": {"name": "Bad_Name"}})
    assert err.value.status == 422 and status_of(err.value)["details"]["causes"][0]["field"] == "metadata.name"


async def test_custom_resource_generation_and_status_subresource(kube, ns):
    api = client.CustomObjectsApi(kube)
    created = await api.create_namespaced_custom_object(*OME, ns, "inferenceservices",
                                                        {**isvc("svc", ns), "status": {"url": "http://x"}})
    assert created["metadata"]["generation"] == 1
    assert "status" not in created  # the status subresource owns status: create ignores it
    assert created["spec"]["model"]["kind"] == "ClusterBaseModel"  # schema default applied
    labelled = await api.patch_namespaced_custom_object(*OME, ns, "inferenceservices", "svc",
                                                        {"metadata": {"labels": {"team": "a"}}}, _content_type="application/merge-patch+json")
    assert labelled["metadata"]["generation"] == 1
    scaled = await api.patch_namespaced_custom_object(*OME, ns, "inferenceservices", "svc",
                                                      {"spec": {"engine": {"minReplicas": 2}}}, _content_type="application/merge-patch+json")
    assert scaled["metadata"]["generation"] == 2 and scaled["spec"]["engine"] == {"minReplicas": 2, "maxReplicas": 2}
    status = await api.patch_namespaced_custom_object_status(
        *OME, ns, "inferenceservices", "svc", {"status": {"url": "http://svc"}, "spec": {"engine": {"minReplicas": 9}}}, _content_type="application/merge-patch+json")
    assert status["status"]["url"] == "http://svc" and status["spec"]["engine"]["minReplicas"] == 2
    assert status["metadata"]["generation"] == 2


async def test_schema_validation_answers_422_with_causes_and_prunes(kube, ns):
    api = client.CustomObjectsApi(kube)
    bad = isvc("bad", ns, engine={"minReplicas": "three"})
    with pytest.raises(ApiException) as err:
        await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", bad)
    body = status_of(err.value)
    assert err.value.status == 422 and body["reason"] == "Invalid"
    assert [c["field"] for c in body["details"]["causes"]] == ["spec.engine.minReplicas"]
    with pytest.raises(ApiException):
        await api.get_namespaced_custom_object(*OME, ns, "inferenceservices", "bad")
    pruned = await api.create_namespaced_custom_object(*OME, ns, "inferenceservices",
                                                       isvc("pruned", ns, notAField={"x": 1}))
    assert "notAField" not in pruned["spec"]


async def test_patch_types_and_dry_run(kube, ns):
    api = client.CustomObjectsApi(kube)
    await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", isvc("p", ns))
    path = f"/apis/ome.io/v1beta1/namespaces/{ns}/inferenceservices/p"
    ops = [{"op": "replace", "path": "/spec/engine/maxReplicas", "value": 5}]
    patched = await kube.call_api(path, "PATCH", header_params={"Content-Type": "application/json-patch+json",
                                                                "Accept": "application/json"},
                                  body=ops, auth_settings=["BearerToken"], response_types_map={200: "object"})
    assert patched[0]["spec"]["engine"]["maxReplicas"] == 5
    with pytest.raises(ApiException) as err:
        await kube.call_api(path, "PATCH", header_params={
            "Content-Type": "application/strategic-merge-patch+json"}, body={"spec": {}},
            auth_settings=["BearerToken"], response_types_map={200: "object"})
    assert err.value.status == 415
    dry = await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", isvc("dry", ns), dry_run="All")
    assert dry["metadata"]["name"] == "dry"
    listed = await api.list_namespaced_custom_object(*OME, ns, "inferenceservices")
    assert sorted(i["metadata"]["name"] for i in listed["items"]) == ["p"]


async def test_finalizers_hold_deletion(kube, ns):
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "held", "finalizers": ["example.com/x"]}})
    await core.delete_namespaced_config_map("held", ns)
    held = await core.read_namespaced_config_map("held", ns)
    assert held.metadata.deletion_timestamp is not None
    await core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as err:
        await core.read_namespaced_config_map("held", ns)
    assert err.value.status == 404


async def test_list_selectors_and_pagination(kube, ns):
    core = client.CoreV1Api(kube)
    for i in range(7):
        await core.create_namespaced_config_map(ns, {"metadata": {"name": f"cm-{i}", "labels": {
            "tier": "gold" if i % 2 else "silver", **({"pinned": "yes"} if i == 3 else {})}}})
    gold = await core.list_namespaced_config_map(ns, label_selector="tier=gold")
    assert [c.metadata.name for c in gold.items] == ["cm-1", "cm-3", "cm-5"]
    for selector, expected in [("tier in (gold),!pinned", ["cm-1", "cm-5"]), ("tier notin (gold)", [
            "cm-0", "cm-2", "cm-4", "cm-6"]), ("pinned", ["cm-3"]), ("tier!=silver,pinned=yes", ["cm-3"])]:
        got = await core.list_namespaced_config_map(ns, label_selector=selector)
        assert [c.metadata.name for c in got.items] == expected, selector
    by_name = await core.list_namespaced_config_map(ns, field_selector="metadata.name=cm-4")
    assert [c.metadata.name for c in by_name.items] == ["cm-4"]
    with pytest.raises(ApiException) as err:
        await core.list_namespaced_config_map(ns, field_selector="data.k=v")
    assert err.value.status == 400
    seen, token = [], None
    while True:
        page = await core.list_namespaced_config_map(ns, limit=3, _continue=token)
        seen += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 7 - len(seen)
    assert seen == [f"cm-{i}" for i in range(7)]
    assert int(page.metadata.resource_version) > 0


async def test_namespace_deletion_removes_its_objects(kube, ns):
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "gone-with-ns"}})
    await core.delete_namespace(ns)
    assert (await core.list_namespaced_config_map(ns)).items == []
