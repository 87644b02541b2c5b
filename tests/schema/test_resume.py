"""Resumable Server-Sent Events: every event has an id; reconnecting with Last-Event-ID replays exactly what was
missed (no gap, no duplicate) and then goes on live."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from clients import sse_events
from support import OME

CHANGES = """subscription($sel: String) { resourceChanges(kinds: [ACCELERATOR_CLASS], labelSelector: $sel) {
  type resource { name } resourceVersion } }"""


def events(url: str, query: str, variables: dict, last_event_id: str | None = None):
    return sse_events(url, query, variables, {"Last-Event-ID": last_event_id} if last_event_id else None)


async def first(stream, count: int, timeout: float = 10) -> list:
    out = []

    async def run():
        async for item in stream:
            out.append(item)
            if len(out) == count:
                return
    await asyncio.wait_for(run(), timeout)
    return out


def accelerator(name: str, label: str) -> dict:
    return {"apiVersion": "ome.io/v1beta1", "kind": "AcceleratorClass",
            "metadata": {"name": name, "labels": {"resume-test": label}},
            "spec": {"capabilities": {"memoryGB": "16Gi"}, "discovery": {"nodeSelector": {"gpu": name}}}}


async def test_reconnect_with_last_event_id_has_no_gap_and_no_duplicate(gateway, devcluster):
    label = uuid.uuid4().hex[:8]
    names = [f"resume-{label}-{i}" for i in range(6)]
    variables = {"sel": f"resume-test={label}"}
    http = devcluster.async_client()
    try:
        stream = events(gateway.url, CHANGES, variables)
        reading = asyncio.ensure_future(first(stream, 2))
        await asyncio.sleep(0.3)
        for name in names[:2]:
            (await http.post(f"{OME}/acceleratorclasses", json=accelerator(name, label))).raise_for_status()
        seen = await reading
        await stream.aclose()  # the connection drops
        assert all(event_id for event_id, _ in seen)
        for name in names[2:5]:  # changes while disconnected
            (await http.post(f"{OME}/acceleratorclasses", json=accelerator(name, label))).raise_for_status()
        await asyncio.sleep(0.3)  # the gateway's cache hears of them
        resumed = events(gateway.url, CHANGES, variables, last_event_id=seen[-1][0])
        reading = asyncio.ensure_future(first(resumed, 4))
        await asyncio.sleep(0.3)
        (await http.post(f"{OME}/acceleratorclasses", json=accelerator(names[5], label))).raise_for_status()
        later = await reading
        await resumed.aclose()
        got = [p["data"]["resourceChanges"]["resource"]["name"] for _, p in seen + later]
        assert got == names[:6]  # every change once, in order
        ids = [event_id for event_id, _ in seen + later]
        assert len(set(ids)) == len(ids)
    finally:
        for name in names:
            await http.delete(f"{OME}/acceleratorclasses/{name}")
        await http.aclose()


@pytest.mark.parametrize("last_event_id, expected", [("garbage", 400), ("acceleratorclasses:1", "RESUME_EXPIRED")])
async def test_bad_or_expired_event_ids(gateway, last_event_id, expected):
    stream = events(gateway.url, CHANGES, {"sel": "x=y"}, last_event_id=last_event_id)
    (event_id, payload), = await first(stream, 1)
    await stream.aclose()
    if expected == 400:
        assert payload["status"] == 400 and "Last-Event-ID" in payload["body"]
    else:
        assert payload["errors"][0]["extensions"]["code"] == expected
