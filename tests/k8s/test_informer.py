"""The shared cache under faults: dropped watches lose nothing, a 410 relist yields the right deltas."""
from __future__ import annotations

import asyncio
import contextlib


from clients import TRANSPORTS, take
from support import OME, DevCluster, Gateway, wait_for

CHANGES = """subscription($kinds: [ResourceKind!]!, $sel: String) { resourceChanges(kinds: $kinds,
  labelSelector: $sel) { type resourceVersion resource { name } } }"""


def accelerator(name: str, labels: dict | None = None) -> dict:
    return {"apiVersion": "ome.io/v1beta1", "kind": "AcceleratorClass",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"capabilities": {"memoryGB": "80Gi"}, "discovery": {"nodeSelector": {"gpu": name}}}}


async def test_dropped_watches_deliver_every_change_once_in_order(gateway, devcluster):
    http = devcluster.async_client()
    path = f"{OME}/acceleratorclasses"
    (await http.post(path, json=accelerator("flaky", {"fault-test": "drops"}))).raise_for_status()
    stream = TRANSPORTS["graphql-transport-ws"](gateway.url, CHANGES, {"kinds": ["ACCELERATOR_CLASS"],
                                                                       "sel": "fault-test=drops"})
    collected = asyncio.ensure_future(take(stream, 21, timeout=30))
    dropped = 0
    try:
        await asyncio.sleep(0.5)
        written = []
        for i in range(20):
            resp = await http.patch(f"{path}/flaky", json={"metadata": {"annotations": {"n": str(i)}}},
                                    headers={"Content-Type": "application/merge-patch+json"})
            written.append(resp.json()["metadata"]["resourceVersion"])
            if i % 3 == 0:  # a watch still reconnecting from the last drop is not there to drop: count them all
                dropped += (await http.delete("/_devcluster/watches")).json()["dropped"]
            await asyncio.sleep(0.02)
        await http.delete(f"{path}/flaky")
        events = await collected
    finally:
        collected.cancel()
        with contextlib.suppress(BaseException):
            await collected
        await stream.aclose()
        await http.aclose()
    assert dropped >= 3
    kinds = [e["resourceChanges"]["type"] for e in events]
    versions = [e["resourceChanges"]["resourceVersion"] for e in events]
    assert kinds == ["MODIFIED"] * 20 + ["DELETED"]
    assert versions[:20] == written  # no gap, no duplicate, in order


async def test_relist_after_410_yields_what_changed_while_disconnected(tmp_path):
    cluster = DevCluster(tmp_path, seed="crds", event_window=30)
    gw = None
    http = cluster.async_client()
    path = f"{OME}/acceleratorclasses"
    try:
        (await http.post(path, json=accelerator("old"))).raise_for_status()
        (await http.post(path, json=accelerator("kept"))).raise_for_status()
        gw = Gateway(cluster.kubeconfig)
        # ready means listed; the watches open right after: poll until all are open, then there is one per kind
        watches = wait_for(lambda: (lambda w: w if w["open"] >= 9 else None)(
            cluster.http.get("/_devcluster/watches").json()))
        assert watches["open"] == 9 and set(watches["byResource"].values()) == {1}  # one watch per cached kind
        stream = TRANSPORTS["graphql-transport-ws"](gw.url, CHANGES, {"kinds": ["ACCELERATOR_CLASS"]})
        async with contextlib.aclosing(stream):
            collected = asyncio.ensure_future(take(stream, 2, timeout=30))
            await asyncio.sleep(0.5)
            await http.put("/_devcluster/faults", json={"watch_error_rate": 1.0})
            await http.delete("/_devcluster/watches")
            await http.delete(f"{path}/old")
            (await http.post(path, json=accelerator("fresh"))).raise_for_status()
            await http.post("/api/v1/namespaces", json={"metadata": {"name": "churn"}})
            for i in range(40):  # push the informer's last version out of the event window
                await http.post("/api/v1/namespaces/churn/configmaps", json={"metadata": {"name": f"c{i}"}})
            await http.put("/_devcluster/faults", json={"watch_error_rate": 0.0})
            events = await collected
        deltas = {(e["resourceChanges"]["type"], e["resourceChanges"]["resource"]["name"]) for e in events}
        assert deltas == {("DELETED", "old"), ("ADDED", "fresh")}
        names = gw.data("{ acceleratorClasses { edges { node { name } } } }")["acceleratorClasses"]["edges"]
        assert sorted(e["node"]["name"] for e in names) == ["fresh", "kept"]
    finally:
        await http.aclose()
        if gw:
            gw.stop()
        cluster.stop()
