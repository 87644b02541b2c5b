"""Automatic persisted queries: documents addressed by their SHA-256, kept in Redis (or this process)."""
from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from pathlib import Path

from redis.exceptions import RedisError

log = logging.getLogger("ome_gateway.persisted")
KEY = "ome-gateway:apq:"


def digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    def __init__(self, redis=None, preload_dir: str | None = None, local_limit: int = 5000) -> None:
        self.redis, self.local_limit = redis, local_limit
        self.pinned: dict[str, str] = {}  # documents shipped with the deployment
        self.local: OrderedDict[str, str] = OrderedDict()  # registered by clients, bounded
        if preload_dir:
            for path in sorted(Path(preload_dir).rglob("*.graphql")):
                text = path.read_text()
                self.pinned[digest(text)] = text

    def known(self, sha: str) -> bool:
        return sha in self.pinned

    async def get(self, sha: str) -> str | None:
        if sha in self.pinned:
            return self.pinned[sha]
        if sha in self.local:
            self.local.move_to_end(sha)
            return self.local[sha]
        if self.redis is not None:
            try:
                value = await self.redis.get(KEY + sha)
                return value.decode() if value is not None else None
            except (RedisError, OSError) as exc:
                log.warning("persisted query lookup failed: %s", exc)
        return None

    async def put(self, sha: str, query: str) -> None:
        self.local[sha] = query
        while len(self.local) > self.local_limit:
            self.local.popitem(last=False)
        if self.redis is not None:
            try:
                await self.redis.set(KEY + sha, query, ex=7 * 86400)
            except (RedisError, OSError) as exc:
                log.warning("persisted query store failed: %s", exc)
