"""Request guards in front of /graphql: a body size limit and a per-user rate limit shared through Redis."""
from __future__ import annotations

import json
import logging
import time

from redis.exceptions import RedisError

from .. import metrics

log = logging.getLogger("ome_gateway.guards")


async def _reject(send, status: int, code: str, message: str, headers: list | None = None) -> None:
    body = json.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses request bodies over max_bytes with 413, whether or not Content-Length is declared."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            metrics.LIMIT_REJECTIONS.labels("PAYLOAD_TOO_LARGE").inc()
            return await _reject(send, 413, "PAYLOAD_TOO_LARGE", f"request body exceeds {self.max_bytes} bytes")
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            metrics.LIMIT_REJECTIONS.labels("PAYLOAD_TOO_LARGE").inc()
            await _reject(send, 413, "PAYLOAD_TOO_LARGE", f"request body exceeds {self.max_bytes} bytes")


class _TooLarge(Exception):
    pass


class RateLimiter:
    """Fixed one-minute windows per identity: counted in Redis when there is one (so replicas share the budget),
    else in this process."""

    def __init__(self, per_minute: int, redis=None) -> None:
        self.per_minute, self.redis = per_minute, redis
        self.local: dict[tuple[str, int], int] = {}
        self.rejected = 0

    async def allow(self, identity: str) -> bool:
        window = int(time.time() // 60)
        count = None
        if self.redis is not None:
            key = f"ome-gateway:ratelimit:{identity}:{window}"
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    count, _ = await pipe.incr(key).expire(key, 120).execute()
            except (RedisError, OSError) as exc:
                log.warning("rate limit falls back to this process: %s", exc)
        if count is None:
            self.local = {k: v for k, v in self.local.items() if k[1] >= window}
            count = self.local[(identity, window)] = self.local.get((identity, window), 0) + 1
        if count > self.per_minute:
            self.rejected += 1
            return False
        return True


class RateLimit:
    """ASGI middleware applying a RateLimiter to /graphql requests; identity(scope) names the caller."""

    def __init__(self, app, limiter: RateLimiter, identity) -> None:
        self.app, self.limiter, self.identity = app, limiter, identity

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/graphql" or not self.limiter.per_minute:
            return await self.app(scope, receive, send)
        if not await self.limiter.allow(self.identity(scope)):
            metrics.RATE_LIMITED.inc()
            return await _reject(send, 429, "RATE_LIMITED", "too many requests; slow down", [(b"retry-after", b"60")])
        await self.app(scope, receive, send)
