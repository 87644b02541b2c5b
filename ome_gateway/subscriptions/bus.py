"""Publish/subscribe for events the gateway itself produces (audit of writes, job progress).

Within one process delivery is in memory. With a Redis URL every message goes through Redis, so subscribers on
every replica see it; when Redis is unreachable the bus degrades to local delivery and keeps reconnecting."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import AsyncIterator

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("ome_gateway.bus")
PREFIX = "ome-gateway:events:"


class Bus:
    def __init__(self, redis_url: str | None = None, queue_size: int = 1000) -> None:
        self.redis_url = redis_url
        self.queue_size = queue_size
        self.origin = uuid.uuid4().hex[:12]
        self._subscribers: dict[str, set[asyncio.Queue]] = {}
        self._redis: aioredis.Redis | None = None
        self._listener: asyncio.Task | None = None
        self.connected = False  # Redis is up and our listener receives
        self.dropped = 0  # messages a slow subscriber missed

    @property
    def mode(self) -> str:
        if not self.redis_url:
            return "local"
        return "redis" if self.connected else "degraded"

    async def start(self) -> None:
        if self.redis_url:
            self._redis = aioredis.Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=None)
            self._listener = asyncio.create_task(self._listen(), name="bus-listener")

    async def stop(self) -> None:
        if self._listener:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis:
            await self._redis.aclose()

    def publish(self, topic: str, payload: dict) -> None:
        """Send without waiting; through Redis when connected, else straight to local subscribers."""
        message = {"topic": topic, "origin": self.origin, "payload": payload}
        if self._redis is not None and self.connected:
            asyncio.get_running_loop().create_task(self._send(message))
        else:
            self._deliver(message)

    async def _send(self, message: dict) -> None:
        try:
            await self._redis.publish(PREFIX + message["topic"], json.dumps(message))
        except (RedisError, OSError) as exc:
            log.warning("redis publish failed (%s); delivering locally", exc)
            self.connected = False
            self._deliver(message)

    async def subscribe(self, topic: str) -> AsyncIterator[dict]:
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[topic].discard(queue)

    def _deliver(self, message: dict) -> None:
        for queue in list(self._subscribers.get(message["topic"], ())):
            try:
                queue.put_nowait(message["payload"])
            except asyncio.QueueFull:
                self.dropped += 1

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(PREFIX + "*")
                self.connected, backoff = True, 0.1
                log.info("bus connected to redis")
                async for raw in pubsub.listen():
                    if raw.get("type") == "pmessage":
                        with contextlib.suppress(ValueError, KeyError, TypeError):
                            self._deliver(json.loads(raw["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self.connected:
                    log.warning("lost redis (%s); delivering locally until it is back", exc)
                self.connected = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
