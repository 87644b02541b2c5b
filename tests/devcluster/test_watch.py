"""Watches: event streams, resume from a resourceVersion, bookmarks, 410 Gone, timeouts, selectors, drops."""
from __future__ import annotations

import asyncio

from kubernetes_asyncio import client, watch

from support import DevCluster


async def collect(stream, count: int, timeout: float = 5) -> list[tuple[str, str]]:
    out = []

    async def run():
        async for ev in stream:
            obj = ev["object"]
            name = obj.metadata.name if hasattr(obj, "metadata") else obj["metadata"].get("name")
            out.append((ev["type"], name))
            if len(out) == count:
                return
    await asyncio.wait_for(run(), timeout)
    return out


async def test_watch_streams_changes_from_a_resource_version(kube, ns):
    core = client.CoreV1Api(kube)
    start = (await core.list_namespaced_config_map(ns)).metadata.resource_version
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}})
    await core.patch_namespaced_config_map("a", ns, {"data": {"x": "1"}})
    await core.delete_namespaced_config_map("a", ns)
    w = watch.Watch()
    events = await collect(w.stream(core.list_namespaced_config_map, ns, resource_version=start), 3)
    w.stop()
    assert events == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


async def test_watch_without_version_starts_with_current_objects_and_honours_selectors(kube, ns):
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "in", "labels": {"w": "yes"}}})
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "out"}})
    w = watch.Watch()
    stream = w.stream(core.list_namespaced_config_map, ns, label_selector="w=yes")
    first = await collect(stream, 1)
    await core.patch_namespaced_config_map("in", ns, {"metadata": {"labels": {"w": "no"}}})
    await core.patch_namespaced_config_map("out", ns, {"metadata": {"labels": {"w": "yes"}}})
    moved = await collect(stream, 2)
    w.stop()
    assert first == [("ADDED", "in")]
    assert moved == [("DELETED", "in"), ("ADDED", "out")]


async def test_bookmarks_and_timeout(devcluster, kube, ns):
    devcluster.faults(bookmark_interval=0.2)
    try:
        resp = await kube.call_api(f"/api/v1/namespaces/{ns}/configmaps", "GET", query_params=[
            ("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", "1"), ("resourceVersion", "0")],
            auth_settings=["BearerToken"], _preload_content=False)
        loop = asyncio.get_running_loop()
        started = loop.time()
        body = await resp.read()
        elapsed = loop.time() - started
    finally:
        devcluster.faults(bookmark_interval=5.0)
    lines = [line for line in body.decode().splitlines() if line]
    assert lines and all('"type":"BOOKMARK"' in line for line in lines)
    assert 0.9 < elapsed < 5  # the stream ended because of timeoutSeconds


async def test_too_old_resource_version_answers_410_gone(tmp_path):
    small = DevCluster(tmp_path, seed="none", event_window=20)
    try:
        small.http.post("/api/v1/namespaces", json={"metadata": {"name": "n"}})
        for i in range(30):
            small.http.post("/api/v1/namespaces/n/configmaps", json={"metadata": {"name": f"c{i}"}})
        resp = small.http.get("/api/v1/namespaces/n/configmaps", params={"watch": "1", "resourceVersion": "2"})
        event = resp.json()
        assert event["type"] == "ERROR" and event["object"]["code"] == 410
        assert event["object"]["reason"] == "Expired"
        recent = int(small.http.get("/api/v1/namespaces/n/configmaps").json()["metadata"]["resourceVersion"])
        with small.http.stream("GET", "/api/v1/namespaces/n/configmaps", params={
                "watch": "True", "resourceVersion": str(recent - 3), "timeoutSeconds": "1"}) as stream:
            names = [line for line in stream.iter_lines() if line]
        assert len(names) == 3 and all('"type":"ADDED"' in n for n in names)
    finally:
        small.stop()


async def test_dropped_watches_end_and_can_resume(devcluster, kube, ns):
    core = client.CoreV1Api(kube)
    rv = (await core.list_namespaced_config_map(ns)).metadata.resource_version
    w = watch.Watch()
    stream = w.stream(core.list_namespaced_config_map, ns, resource_version=rv)
    consumer = asyncio.ensure_future(collect(stream, 2, timeout=10))
    await asyncio.sleep(0.3)
    assert devcluster.http.get("/_devcluster/watches").json()["open"] >= 1
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "before-drop"}})
    await asyncio.sleep(0.2)
    assert devcluster.http.delete("/_devcluster/watches").json()["dropped"] >= 1
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "after-drop"}})
    events = await consumer  # kubernetes_asyncio's Watch re-opens from the last version it saw
    w.stop()
    assert events == [("ADDED", "before-drop"), ("ADDED", "after-drop")]
