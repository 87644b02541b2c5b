"""Fan-out: many subscribers share one execution per change, lose nothing, and never add upstream watches."""
from __future__ import annotations

import asyncio
import contextlib

from kubernetes_asyncio import client

from clients import TRANSPORTS, take
from fanout import measure
from support import DevCluster, Gateway

STATUS = """subscription($ns: String!, $name: String!) { inferenceServiceStatus(namespace: $ns, name: $name) {
  name ready } }"""


async def test_many_subscribers_lose_nothing_and_share_the_watches(tmp_path):
    cluster = DevCluster(tmp_path, seed="crds", ready_delay=0)
    gw = Gateway(cluster.kubeconfig)
    try:
        result = await measure(cluster, gw.url, gw.proc.pid, subscribers=60, changes=5, gap=0.05)
    finally:
        gw.stop()
        cluster.stop()
    assert result["errors"] == 0
    assert result["lost"] == 0 and result["delivered"] == 300
    assert result["watch_connections"] == 9  # one per cached kind, not per subscriber


async def test_a_late_joiner_of_a_shared_status_stream_gets_the_current_state(gateway, kube, ns):
    await client.CustomObjectsApi(kube).create_namespaced_custom_object("ome.io", "v1beta1", ns,
                                                                        "inferenceservices", {
        "apiVersion": "ome.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "shared"},
        "spec": {"model": {"name": "m"}, "engine": {"minReplicas": 1}}})
    first = TRANSPORTS["graphql-transport-ws"](gateway.url, STATUS, {"ns": ns, "name": "shared"})
    async with contextlib.aclosing(first):
        async for data in first:
            if data["inferenceServiceStatus"]["ready"]:
                break
        late = TRANSPORTS["graphql-ws"](gateway.url, STATUS, {"ns": ns, "name": "shared"})
        async with contextlib.aclosing(late):
            current = await asyncio.wait_for(take(late, 1), 5)
    assert current == [{"inferenceServiceStatus": {"name": "shared", "ready": True}}]
