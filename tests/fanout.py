"""Fan-out measurement shared by the fan-out test and benchmark: N graphql-transport-ws subscribers on one
gateway, each change of a service stamped with its send time."""
from __future__ import annotations

import asyncio
import json
import time

import websockets

from support import OME

SUBSCRIPTION = """subscription { resourceChanges(kinds: [INFERENCE_SERVICE], namespace: "fanout") {
  type resource { name metadata { annotations { key value } } } } }"""


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


async def _subscriber(url: str, ready: asyncio.Event, started: list, latencies: list, expected: int):
    async with websockets.connect(url.replace("http", "ws", 1) + "/graphql", subprotocols=["graphql-transport-ws"],
                                  max_queue=None, open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIPTION}}))
        started.append(1)
        await ready.wait()
        got = 0
        while got < expected:
            msg = json.loads(await ws.recv())
            if msg["type"] != "next":
                continue
            notes = {a["key"]: a["value"] for a in msg["payload"]["data"]["resourceChanges"]["resource"]["metadata"]
                     ["annotations"]}
            if "fanout/sent" in notes:
                latencies.append(time.time() - float(notes["fanout/sent"]))
                got += 1


async def measure(cluster, gateway_url: str, gateway_pid: int, subscribers: int, changes: int,
                  gap: float = 0.1) -> dict:
    async with cluster.async_client(timeout=60) as http:
        await http.post("/api/v1/namespaces", json={"metadata": {"name": "fanout"}})
        await http.post(f"{OME}/namespaces/fanout/inferenceservices", json={
            "apiVersion": "ome.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "svc"},
            "spec": {"model": {"name": "m"}, "engine": {"minReplicas": 0}}})
        await asyncio.sleep(0.5)
        rss_before = rss_kib(gateway_pid)
        ready, started, latencies = asyncio.Event(), [], []
        tasks = []
        for _ in range(subscribers):
            tasks.append(asyncio.ensure_future(_subscriber(gateway_url, ready, started, latencies, changes)))
            if len(tasks) % 100 == 0:
                await asyncio.sleep(0.05)
        while len(started) < subscribers:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        rss_after = rss_kib(gateway_pid)
        watches = (await http.get("/_devcluster/watches")).json()["open"]
        ready.set()
        for i in range(changes):
            await http.patch(f"{OME}/namespaces/fanout/inferenceservices/svc", json={"metadata": {"annotations": {
                "fanout/sent": repr(time.time()), "fanout/n": str(i)}}},
                headers={"Content-Type": "application/merge-patch+json"})
            await asyncio.sleep(gap)
        done, pending = await asyncio.wait(tasks, timeout=30)
        for t in pending:
            t.cancel()
        errors = [t.exception() for t in done if t.exception()]
        await http.delete("/api/v1/namespaces/fanout")
    lat = sorted(latencies)
    return {"subscribers": subscribers, "changes": changes, "delivered": len(lat),
            "lost": subscribers * changes - len(lat), "errors": len(errors),
            "p50_ms": lat[len(lat) // 2] * 1000 if lat else None,
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else None,
            "watch_connections": watches, "kib_per_subscriber": (rss_after - rss_before) / subscribers}
