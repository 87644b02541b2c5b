"""Subscriptions over real sockets on all three transports: status streams, change feeds, summaries."""
from __future__ import annotations

import asyncio
import contextlib

import pytest
from kubernetes_asyncio import client

from clients import TRANSPORTS, SubscriptionError, take

OME = ("ome.io", "v1beta1")
STATUS = """subscription($ns: String!, $name: String!) { inferenceServiceStatus(namespace: $ns, name: $name) {
  name ready url conditions { type status } components { kind minReplicas replicas readyReplicas } } }"""
CHANGES = """subscription($kinds: [ResourceKind!]!, $ns: String, $sel: String) {
  resourceChanges(kinds: $kinds, namespace: $ns, labelSelector: $sel) {
    type kind resourceVersion resource { __typename name namespace } } }"""


def isvc(name: str, replicas: int = 1, labels: dict | None = None) -> dict:
    return {"apiVersion": "ome.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"model": {"name": "llama-3-1-8b-instruct"}, "runtime": {"name": "srt-llama-small"},
                     "engine": {"minReplicas": replicas, "maxReplicas": 4}}}


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_service_status_streams_until_ready_then_deleted(transport, gateway, kube, ns):
    api = client.CustomObjectsApi(kube)
    await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", isvc("live"))
    stream = TRANSPORTS[transport](gateway.url, STATUS, {"ns": ns, "name": "live"})
    async with contextlib.aclosing(stream):
        updates = []
        async for data in stream:
            updates.append(data["inferenceServiceStatus"])
            if updates[-1]["ready"]:
                break
        assert updates[-1]["url"] == f"http://live.{ns}.svc.cluster.local"
        assert updates[-1]["components"][0]["readyReplicas"] == 1
        assert len({repr(u) for u in updates}) == len(updates)  # each message is a real change
        await api.delete_namespaced_custom_object(*OME, ns, "inferenceservices", "live")
        with pytest.raises(SubscriptionError) as err:
            await take(stream, 5)
        assert err.value.code == "NOT_FOUND" and "was deleted" in str(err.value)


async def test_unrelated_updates_are_not_repeated(gateway, kube, ns):
    api = client.CustomObjectsApi(kube)
    await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", isvc("quiet"))
    stream = TRANSPORTS["graphql-transport-ws"](gateway.url, STATUS, {"ns": ns, "name": "quiet"})
    async with contextlib.aclosing(stream):
        async for data in stream:
            if data["inferenceServiceStatus"]["ready"]:
                break
        for i in range(3):  # label changes do not change status, readiness, replicas or conditions
            await api.patch_namespaced_custom_object(*OME, ns, "inferenceservices", "quiet", {
                "metadata": {"labels": {"touch": str(i)}}}, _content_type="application/merge-patch+json")
        await api.patch_namespaced_custom_object(*OME, ns, "inferenceservices", "quiet", {
            "spec": {"engine": {"minReplicas": 2}}}, _content_type="application/merge-patch+json")
        scaled = await take(stream, 1)
        assert scaled[0]["inferenceServiceStatus"]["components"][0]["minReplicas"] == 2


async def test_missing_service_ends_with_not_found(gateway):
    with pytest.raises(SubscriptionError) as err:
        await take(TRANSPORTS["graphql-transport-ws"](gateway.url, STATUS, {"ns": "research", "name": "nope"}), 1)
    assert err.value.code == "NOT_FOUND"


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_resource_changes_in_order_with_selector_edges(transport, gateway, kube, ns):
    api = client.CustomObjectsApi(kube)
    stream = TRANSPORTS[transport](gateway.url, CHANGES, {"kinds": ["INFERENCE_SERVICE"], "ns": ns,
                                                          "sel": "watch=me"})
    async with contextlib.aclosing(stream):
        first = asyncio.ensure_future(take(stream, 3, timeout=15))
        await asyncio.sleep(0.5)  # the subscription is registered before the changes start
        await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", isvc("a", labels={"watch": "me"}))
        await api.create_namespaced_custom_object(*OME, ns, "inferenceservices", isvc("ignored"))
        await api.patch_namespaced_custom_object(*OME, ns, "inferenceservices", "a", {
            "metadata": {"labels": {"watch": "no"}}}, _content_type="application/merge-patch+json")
        events = await first
    seen = [(e["resourceChanges"]["type"], e["resourceChanges"]["resource"]["name"]) for e in events]
    assert seen[0] == ("ADDED", "a") and seen[-1] == ("DELETED", "a")
    assert all(name == "a" for _, name in seen)
    versions = [int(e["resourceChanges"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions)


async def test_model_status_follows_the_download(gateway, kube):
    api = client.CustomObjectsApi(kube)
    await api.create_cluster_custom_object(*OME, "clusterbasemodels", {
        "apiVersion": "ome.io/v1beta1", "kind": "ClusterBaseModel", "metadata": {"name": "streamed-model"},
        "spec": {"storage": {"storageUri": "hf://org/streamed"}}})
    try:
        stream = TRANSPORTS["graphql-transport-ws"](gateway.url, """subscription { modelStatus(name:
            "streamed-model") { name state ready } }""")
        async with contextlib.aclosing(stream):
            states = []
            async for data in stream:
                states.append(data["modelStatus"]["state"])
                if data["modelStatus"]["ready"]:
                    break
        assert states[-1] == "Ready" and len(states) == len(set(states))
    finally:
        await api.delete_cluster_custom_object(*OME, "clusterbasemodels", "streamed-model")


async def test_cluster_summary_stream_updates(gateway, kube, ns):
    stream = TRANSPORTS["graphql-transport-ws"](gateway.url, """subscription {
        clusterSummary(intervalMs: 100) { services } }""")
    async with contextlib.aclosing(stream):
        before = (await take(stream, 1))[0]["clusterSummary"]["services"]
        await client.CustomObjectsApi(kube).create_namespaced_custom_object(
            *OME, ns, "inferenceservices", isvc("counted"))
        after = (await take(stream, 1))[0]["clusterSummary"]["services"]
    assert after == before + 1


async def test_subscription_input_errors_are_typed(gateway):
    for query, code in [(CHANGES, "INVALID_INPUT")]:
        with pytest.raises(SubscriptionError) as err:
            await take(TRANSPORTS["graphql-transport-ws"](gateway.url, query, {"kinds": [], "ns": None}), 1)
        assert err.value.code == code
    with pytest.raises(SubscriptionError) as err:
        await take(TRANSPORTS["sse"](gateway.url, CHANGES, {"kinds": ["POD"], "sel": "a in ("}), 1)
    assert err.value.code == "INVALID_INPUT"
