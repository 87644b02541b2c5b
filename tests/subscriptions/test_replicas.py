"""Two gateway replicas on one Redis: what one replica does, a subscriber on the other sees."""
from __future__ import annotations

import asyncio
import contextlib

import pytest

from clients import TRANSPORTS, take, transport_ws
from support import Gateway

AUDIT = "subscription { auditEvents { action kind namespace name resourceVersion } }"
DEPLOY = "mutation($input: DeployInferenceServiceInput!) { deployInferenceService(input: $input) " \
         "{ service { name metadata { resourceVersion } } } }"
SCALE = "mutation($input: ScaleInferenceServiceInput!) { scaleInferenceService(input: $input) { name } }"


@pytest.fixture(scope="module")
def replicas(devcluster, redis_url, hub_server):
    env = {"REDIS_URL": f"{redis_url}/8", "OME_GATEWAY_RATE_LIMIT": "0", "HF_ENDPOINT": hub_server.url}
    a, b = Gateway(devcluster.kubeconfig, env=env), Gateway(devcluster.kubeconfig, env=env)
    for gw in (a, b):
        assert gw.http.get("/readyz").json()["bus"] == "redis"
    yield a, b
    a.stop()
    b.stop()


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_writes_through_one_replica_reach_subscribers_of_the_other(replicas, ns, transport):
    a, b = replicas
    stream = TRANSPORTS[transport](b.url, AUDIT)
    async with contextlib.aclosing(stream):
        pending = asyncio.ensure_future(take(stream, 2, timeout=15))
        await asyncio.sleep(0.5)  # subscribed on B before A writes
        deploy = {"name": "rep", "namespace": ns, "model": "llama-3-1-8b-instruct"}
        made = (await asyncio.to_thread(a.data, DEPLOY, {"input": deploy}))["deployInferenceService"]["service"]
        scale = {"namespace": ns, "name": "rep", "component": "ENGINE", "minReplicas": 2, "maxReplicas": 3}
        await asyncio.to_thread(a.data, SCALE, {"input": scale})
        first, second = [e["auditEvents"] for e in await pending]
    assert first == {"action": "create", "kind": "InferenceService", "namespace": ns, "name": "rep",
                     "resourceVersion": made["metadata"]["resourceVersion"]}
    assert (second["action"], second["name"]) == ("patch", "rep")


async def test_import_progress_is_followed_from_either_replica(replicas):
    a, b = replicas
    job = (await asyncio.to_thread(a.data, 'mutation { importModel(input: {repoId: "acme-llm/qwen2-7b-instruct", '
                                           'name: "replicated-qwen2", update: true}) { id } }'))["importModel"]
    query = "subscription($id: ID!) { importJobProgress(id: $id) { step state } }"

    async def follow(gw: Gateway) -> list[dict]:
        return [e["importJobProgress"] async for e in transport_ws(gw.url, query, {"id": job["id"]})]

    seen_a, seen_b = await asyncio.gather(follow(a), follow(b))
    assert seen_a == seen_b and seen_a[-1] == {"step": "completed", "state": "COMPLETED"}
