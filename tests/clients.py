"""Minimal GraphQL subscription clients for tests, one per transport, over real sockets."""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import AsyncIterator

import httpx
import websockets

_ids = itertools.count(1)


class SubscriptionError(Exception):
    def __init__(self, errors: list[dict]):
        super().__init__(errors[0].get("message") if errors else "subscription error")
        self.errors = errors
        self.code = (errors[0].get("extensions") or {}).get("code") if errors else None


async def transport_ws(url: str, query: str, variables: dict | None = None,
                       connection_params: dict | None = None) -> AsyncIterator[dict]:
    """graphql-transport-ws: yields each `next` payload's data; raises SubscriptionError on `error`."""
    async with websockets.connect(url.replace("http", "ws", 1) + "/graphql",
                                  subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": connection_params or {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        sid = str(next(_ids))
        await ws.send(json.dumps({"type": "subscribe", "id": sid,
                                  "payload": {"query": query, "variables": variables or {}}}))
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif msg["type"] == "next":
                if msg["payload"].get("errors"):
                    raise SubscriptionError(msg["payload"]["errors"])
                yield msg["payload"]["data"]
            elif msg["type"] == "error":
                raise SubscriptionError(msg["payload"])
            elif msg["type"] == "complete":
                return


async def legacy_ws(url: str, query: str, variables: dict | None = None,
                    connection_params: dict | None = None) -> AsyncIterator[dict]:
    """The legacy graphql-ws protocol (subscriptions-transport-ws)."""
    async with websockets.connect(url.replace("http", "ws", 1) + "/graphql", subprotocols=["graphql-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": connection_params or {}}))
        while (msg := json.loads(await ws.recv()))["type"] == "ka":
            pass
        assert msg["type"] == "connection_ack", msg
        sid = str(next(_ids))
        await ws.send(json.dumps({"type": "start", "id": sid, "payload": {"query": query,
                                                                          "variables": variables or {}}}))
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "data":
                if msg["payload"].get("errors"):
                    raise SubscriptionError(msg["payload"]["errors"])
                yield msg["payload"]["data"]
            elif msg["type"] == "error":
                raise SubscriptionError([msg["payload"]])
            elif msg["type"] == "complete":
                return


async def sse_events(url: str, query: str, variables: dict | None = None,
                     headers: dict | None = None) -> AsyncIterator[tuple[str | None, dict]]:
    """GraphQL over Server-Sent Events (distinct connections mode): (event id, payload) of each `next` event;
    a refused request yields (None, {"status": ..., "body": ...}) once."""
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=60)) as http:
        async with http.stream("POST", "/graphql", json={"query": query, "variables": variables or {}},
                               headers={"Accept": "text/event-stream", **(headers or {})}) as resp:
            if resp.status_code != 200:
                yield None, {"status": resp.status_code, "body": (await resp.aread()).decode()}
                return
            event_id = event = None
            async for line in resp.aiter_lines():
                if line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                    if event == "complete":
                        return
                elif line.startswith("data:") and event == "next":
                    yield event_id, json.loads(line.split(":", 1)[1])
                    event_id = event = None


async def sse(url: str, query: str, variables: dict | None = None,
              connection_params: dict | None = None) -> AsyncIterator[dict]:
    """The data of each SSE event; connection_params become headers."""
    # Closed here, not left to the garbage collector: the connection must end when this stream is closed.
    async with contextlib.aclosing(sse_events(url, query, variables, connection_params)) as events:
        async for _, payload in events:
            assert "status" not in payload, payload
            if payload.get("errors"):
                raise SubscriptionError(payload["errors"])
            yield payload["data"]


TRANSPORTS = {"graphql-transport-ws": transport_ws, "graphql-ws": legacy_ws, "sse": sse}


async def take(stream: AsyncIterator[dict], count: int, timeout: float = 10.0) -> list[dict]:
    """The next `count` items of a stream, or a timeout."""
    out = []

    async def run():
        async for item in stream:
            out.append(item)
            if len(out) == count:
                return
    await asyncio.wait_for(run(), timeout)
    return out
