"""The stand-in OME controller: pods, events and Ready conditions for services; download states for models."""
from __future__ import annotations

import asyncio
import uuid

from kubernetes_asyncio import client

OME = ("ome.io", "v1beta1")


async def eventually(check, timeout: float = 5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_service_gets_pods_events_and_becomes_ready(kube, ns):
    api, core = client.CustomObjectsApi(kube), client.CoreV1Api(kube)
    await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", {
        "apiVersion": "ome.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "chat"},
        "spec": {"model": {"name": "m"}, "engine": {"minReplicas": 2}, "router": {"minReplicas": 1}}})
    selector = "serving.ome.io/inferenceservice=chat"
    pods = (await core.list_namespaced_pod(ns, label_selector=selector)).items
    assert sorted(p.metadata.labels["component"] for p in pods) == ["engine", "engine", "router"]
    not_ready = await api.get_namespaced_custom_object(*OME, ns, "inferenceservices", "chat")
    assert {c["type"]: c["status"] for c in not_ready["status"]["conditions"]}["Ready"] == "False"

    async def ready():
        obj = await api.get_namespaced_custom_object(*OME, ns, "inferenceservices", "chat")
        return obj if {c["type"]: c["status"] for c in obj["status"]["conditions"]}["Ready"] == "True" else None
    obj = await eventually(ready)
    assert obj["status"]["url"] == f"http://chat.{ns}.svc.cluster.local"
    assert obj["status"]["observedGeneration"] == 1
    running = (await core.list_namespaced_pod(ns, label_selector=selector, field_selector="status.phase=Running"))
    assert len(running.items) == 3
    events = await core.list_namespaced_event(ns, field_selector="involvedObject.name=chat")
    assert {"Created", "InferenceServiceReady"} <= {e.reason for e in events.items}


async def test_scaling_changes_pods_and_deletion_removes_them(kube, ns):
    api, core = client.CustomObjectsApi(kube), client.CoreV1Api(kube)
    await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", {
        "apiVersion": "ome.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "s"},
        "spec": {"model": {"name": "m"}, "engine": {"minReplicas": 1}}})
    selector = "serving.ome.io/inferenceservice=s"

    async def pods(n):
        items = (await core.list_namespaced_pod(ns, label_selector=selector)).items
        return len(items) == n
    await eventually(lambda: pods(1))
    await api.patch_namespaced_custom_object(*OME, ns, "inferenceservices", "s", {"spec": {"engine": {
        "minReplicas": 3}}}, _content_type="application/merge-patch+json")
    await eventually(lambda: pods(3))
    await api.patch_namespaced_custom_object(*OME, ns, "inferenceservices", "s", {"spec": {"engine": {
        "minReplicas": 0}}}, _content_type="application/merge-patch+json")
    await eventually(lambda: pods(0))
    await api.patch_namespaced_custom_object(*OME, ns, "inferenceservices", "s", {"spec": {"engine": {
        "minReplicas": 2}}}, _content_type="application/merge-patch+json")
    await eventually(lambda: pods(2))
    await api.delete_namespaced_custom_object(*OME, ns, "inferenceservices", "s")
    await eventually(lambda: pods(0))


async def test_model_moves_through_download_states(kube):
    api = client.CustomObjectsApi(kube)
    name = f"m-{uuid.uuid4().hex[:6]}"
    await api.create_cluster_custom_object(*OME, "clusterbasemodels", {
        "apiVersion": "ome.io/v1beta1", "kind": "ClusterBaseModel", "metadata": {"name": name},
        "spec": {"storage": {"storageUri": "hf://org/model"}}})
    seen = []

    async def ready():
        obj = await api.get_cluster_custom_object(*OME, "clusterbasemodels", name)
        state = (obj.get("status") or {}).get("state")
        if state and (not seen or seen[-1] != state):
            seen.append(state)
        return state == "Ready"
    await eventually(ready)
    assert seen[-1] == "Ready" and set(seen) <= {"Creating", "In_Transit", "Ready"}
    await api.delete_cluster_custom_object(*OME, "clusterbasemodels", name)
