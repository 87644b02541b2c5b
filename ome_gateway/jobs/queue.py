"""The work queue: a Redis Stream (filled by the store) read through one consumer group, so each job goes to one
worker at a time. Acknowledged entries are deleted, so the stream holds only work not yet done.

A delivery stays pending until the worker acknowledges it. A worker extends its claim while it works; when it
dies its deliveries go idle, and after the visibility timeout another worker claims them (XAUTOCLAIM)."""
from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from .store import PREFIX, QUEUE

GROUP = "workers"
# KEYS: the stream. ARGV: group, entry id, consumer, "extend" or "ack". Acts only while the consumer still holds
# the entry (another worker may have reclaimed it); returns 1 if it did.
HELD = """
local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #held == 0 then return 0 end
if ARGV[4] == 'ack' then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  redis.call('XDEL', KEYS[1], ARGV[2])
else
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
end
return 1
"""


@dataclass(frozen=True)
class Delivery:
    entry_id: str
    job_id: str
    reclaimed: bool  # taken over from a worker that stopped extending its claim


class JobQueue:
    """Over a client made with decode_responses=True."""

    def __init__(self, redis: aioredis.Redis, prefix: str = PREFIX, visibility: float = 30.0) -> None:
        self.redis, self.stream = redis, prefix + QUEUE
        self.visibility_ms = int(visibility * 1000)
        self._cursor = "0-0"
        self._held = redis.register_script(HELD)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def take(self, consumer: str, block_ms: int = 1000) -> Delivery | None:
        """A delivery abandoned by another worker if there is one, else the next new one (waiting up to
        block_ms)."""
        self._cursor, claimed, *_ = await self.redis.xautoclaim(self.stream, GROUP, consumer, self.visibility_ms,
                                                                self._cursor, count=1)
        for entry_id, fields in claimed:
            if fields:  # None for an entry trimmed from the stream
                return Delivery(entry_id, fields["job"], reclaimed=True)
        answer = await self.redis.xreadgroup(GROUP, consumer, {self.stream: ">"}, count=1, block=block_ms)
        for _, entries in answer or []:
            for entry_id, fields in entries:
                return Delivery(entry_id, fields["job"], reclaimed=False)
        return None

    async def extend(self, consumer: str, delivery: Delivery) -> bool:
        """Reset the delivery's idle time (its worker is alive); False when another worker has taken it."""
        return bool(await self._held([self.stream], [GROUP, delivery.entry_id, consumer, "extend"]))

    async def ack(self, consumer: str, delivery: Delivery) -> bool:
        """Done with the delivery, unless another worker has taken it over."""
        return bool(await self._held([self.stream], [GROUP, delivery.entry_id, consumer, "ack"]))

    async def pending(self) -> int:
        """Deliveries taken and not yet acknowledged."""
        return (await self.redis.xpending(self.stream, GROUP))["pending"]
