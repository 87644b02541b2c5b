"""Hub metadata with a time-to-live: detections and searches are kept in Redis when there is one (shared by every
replica and worker), else in this process. Only what was read without a token is kept, so a gated repository's
details are never served to a caller without access."""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from . import detect as hub

PREFIX = "ome-gateway:hf:"
LOCAL_ENTRIES = 1024


class HubMetadata:
    def __init__(self, endpoint: str, ttl: int, redis: aioredis.Redis | None = None) -> None:
        self.endpoint, self.ttl, self.redis = endpoint, ttl, redis
        self._local: dict[str, tuple[float, str]] = {}

    def _key(self, *parts) -> str:
        digest = hashlib.sha256(json.dumps([self.endpoint, *parts]).encode()).hexdigest()[:32]
        return f"{PREFIX}{parts[0]}:{digest}"

    async def _get(self, key: str) -> str | None:
        if self.redis is not None:
            try:
                return await self.redis.get(key)
            except (RedisError, OSError):
                return None  # Redis is down: ask the hub
        expires, value = self._local.get(key, (0.0, None))
        return value if expires > time.monotonic() else None

    async def _put(self, key: str, value: str) -> None:
        if self.redis is not None:
            try:
                await self.redis.set(key, value, ex=self.ttl)
            except (RedisError, OSError):
                pass
            return
        if len(self._local) >= LOCAL_ENTRIES:
            self._local.pop(next(iter(self._local)))
        self._local[key] = (time.monotonic() + self.ttl, value)

    async def detect(self, repo_id: str, revision: str | None = None,
                     token: str | None = None) -> tuple[hub.Detection, bool]:
        """The detection and whether it came from the cache; raises hub.HubError."""
        key = self._key("detect", repo_id, revision)
        cached = await self._get(key)
        if cached is not None:
            data = json.loads(cached)
            return hub.Detection(**{**data, "capabilities": tuple(data["capabilities"])}), True
        found = await asyncio.to_thread(hub.detect, repo_id, revision, token, self.endpoint)
        if token is None:
            await self._put(key, json.dumps(dataclasses.asdict(found)))
        return found, False

    async def search(self, **params) -> list[dict]:
        key = self._key("search", sorted(params.items()))
        cached = await self._get(key)
        if cached is not None:
            return json.loads(cached)
        found = json.dumps(await asyncio.to_thread(hub.search, endpoint=self.endpoint, **params), default=str)
        await self._put(key, found)
        return json.loads(found)  # the same shape whether cached or not (dates as strings)
