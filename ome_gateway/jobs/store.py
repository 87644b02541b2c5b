"""Job state and history in Redis: a hash per job, a stream of its events, an index by creation time.

Every change is one atomic script that checks the job's state (and the worker's attempt), writes the new fields
and appends the event: a job's state and its history never disagree, and a terminal state is written once."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from typing import AsyncIterator

import redis.asyncio as aioredis

from .. import metrics

PREFIX = "ome-gateway:jobs:"
QUEUE = "queue"  # the stream workers read (see queue.py); an entry names a job: {"job": id}
ACTIVE = ("queued", "running")
TERMINAL = ("completed", "failed", "cancelled")

# KEYS: job hash, events stream. ARGV: allowed states ("" any), required attempt ("" any), fields (JSON),
# event (JSON), events kept, seconds kept, "1" to start a new attempt, the job's id to queue it again (with the
# queue as KEYS[3]), the queue entry the caller was given ("" any). A null field is deleted. Returns {event id,
# attempt}, or nil when the job is not in an allowed state, attempt or entry.
# The job records the queue entry that stands for it (`entry`): a delivery of any other entry (a duplicate, or one
# left from before a retry) cannot claim it. Queuing again also records the attempt it starts from (`base`), so
# attempts are counted per run.
TRANSITION = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return nil end
if ARGV[1] ~= '' and not string.find(' ' .. ARGV[1] .. ' ', ' ' .. state .. ' ', 1, true) then return nil end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[2] then return nil end
local entry = redis.call('HGET', KEYS[1], 'entry')
if ARGV[9] ~= '' and entry and entry ~= ARGV[9] then return nil end
local attempt = redis.call('HGET', KEYS[1], 'attempt') or '0'
if ARGV[7] == '1' then attempt = tostring(redis.call('HINCRBY', KEYS[1], 'attempt', 1)) end
for field, value in pairs(cjson.decode(ARGV[3])) do
  if value == cjson.null then redis.call('HDEL', KEYS[1], field) else redis.call('HSET', KEYS[1], field, value) end
end
local event = {}
for field, value in pairs(cjson.decode(ARGV[4])) do table.insert(event, field); table.insert(event, value) end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(event))
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
if KEYS[3] then
  redis.call('HSET', KEYS[1], 'entry', redis.call('XADD', KEYS[3], '*', 'job', ARGV[8]), 'base', attempt)
end
return {id, attempt}
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobStore:
    """Over a client made with decode_responses=True."""

    def __init__(self, redis: aioredis.Redis, prefix: str = PREFIX, retention: int = 7 * 86400,
                 max_events: int = 1000, max_jobs: int = 10_000) -> None:
        self.redis, self.prefix = redis, prefix
        self.retention, self.max_events, self.max_jobs = retention, max_events, max_jobs
        self._transition = redis.register_script(TRANSITION)

    def _keys(self, job_id: str) -> list[str]:
        return [f"{self.prefix}job:{job_id}", f"{self.prefix}events:{job_id}"]

    async def _change(self, job_id: str, states: tuple, step: str, percent: int, message: str,
                      fields: dict | None = None, attempt: int | None = None, new_attempt: bool = False,
                      enqueue: bool = False, entry: str | None = None) -> tuple[str, int] | None:
        """Append an event (step, percent, message) and mirror it, with `fields`, on the job's record."""
        stamp, fields = now(), fields or {}
        event = {"state": fields.get("state", "running"), "step": step, "percent": percent, "message": message,
                 "timestamp": stamp, **{k: fields[k] for k in ("worker", "error_code") if fields.get(k)}}
        fields = {**fields, "step": step, "percent": percent, "message": message, "updated_at": stamp}
        if fields.get("state") in TERMINAL:
            fields["finished_at"] = stamp
        keys = self._keys(job_id) + ([self.prefix + QUEUE] if enqueue else [])
        answer = await self._transition(keys, [
            " ".join(states), "" if attempt is None else str(attempt), json.dumps(fields), json.dumps(event),
            self.max_events, self.retention, "1" if new_attempt else "0", job_id, entry or ""])
        if answer is None:
            return None
        if fields.get("state"):
            metrics.IMPORT_JOBS.labels(fields["state"]).inc()
        return answer[0], int(answer[1])

    async def create(self, request: dict, owner: str | None = None) -> dict:
        """A new job for `request` (an ImportRequest as a dict) made by `owner` (a user name, or None when callers
        are not identified), queued in the same transaction."""
        job_id = uuid.uuid4().hex
        job_key, events_key = self._keys(job_id)
        stamp, index = now(), self.prefix + "index"
        record = {"id": job_id, "request": json.dumps(request), "attempt": 0, "state": "queued", "step": "queued",
                  "percent": 0, "message": "queued", "owner": owner or "", "created_at": stamp, "updated_at": stamp}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.prefix + QUEUE, {"job": job_id})  # first: its answer is the entry id
            pipe.hset(job_key, mapping=record)
            event = {k: record[k] for k in ("state", "step", "percent", "message")}
            pipe.xadd(events_key, {**event, "timestamp": stamp}, maxlen=self.max_events)
            pipe.expire(job_key, self.retention)
            pipe.expire(events_key, self.retention)
            pipe.zadd(index, {job_id: time.time()})
            pipe.zremrangebyscore(index, 0, time.time() - self.retention)
            pipe.zremrangebyrank(index, 0, -self.max_jobs - 1)
            entry = (await pipe.execute())[0]
        # a worker may claim it before this (no entry recorded yet lets the first delivery claim it)
        await self.redis.hset(job_key, "entry", entry)
        metrics.IMPORT_JOBS.labels("queued").inc()
        return self._decoded({**record, "entry": entry})  # as queued, whatever a worker does meanwhile

    async def get(self, job_id: str) -> dict | None:
        raw = await self.redis.hgetall(self._keys(job_id)[0])
        if not raw:
            return None
        return self._decoded(raw)

    @staticmethod
    def _decoded(raw: dict) -> dict:
        job = dict(raw)
        job["request"], job["attempt"] = json.loads(job["request"]), int(job["attempt"])
        job["percent"], job["base"] = int(job.get("percent") or 0), int(job.get("base") or 0)
        return job

    async def list(self, state: str | None = None, limit: int = 100, batch: int = 200) -> list[dict]:
        """Most recently queued first, read a batch at a time; jobs whose records expired are skipped."""
        jobs, ids = [], await self.redis.zrevrange(self.prefix + "index", 0, -1)
        for start in range(0, len(ids), batch):
            async with self.redis.pipeline(transaction=False) as pipe:
                for job_id in ids[start:start + batch]:
                    pipe.hgetall(self._keys(job_id)[0])
                for raw in await pipe.execute():
                    if raw and (state is None or raw.get("state") == state):
                        jobs.append(self._decoded(raw))
                        if len(jobs) == limit:
                            return jobs
        return jobs

    async def claim(self, job_id: str, worker: str, entry: str | None = None) -> int | None:
        """Start a new attempt of a queued or running job (a running one whose worker was lost), for a delivery of
        the queue `entry` that stands for the job now (None: any)."""
        answer = await self._change(job_id, ACTIVE, "claimed", 0, f"claimed by {worker}",
                                    {"state": "running", "worker": worker}, new_attempt=True, entry=entry)
        return None if answer is None else answer[1]

    async def progress(self, job_id: str, attempt: int, step: str, percent: int, message: str) -> bool:
        """Record a step of the current attempt; False when the job is no longer this attempt's to run."""
        return await self._change(job_id, ("running",), step, percent, message, attempt=attempt) is not None

    async def finish(self, job_id: str, attempt: int, state: str, message: str, error: dict | None = None) -> bool:
        """completed or failed, once: only the attempt that runs the job can end it."""
        fields = {"state": state, **{f"error_{k}": v for k, v in (error or {}).items() if v is not None}}
        return await self._change(job_id, ("running",), state, 100 if state == "completed" else 0, message, fields,
                                  attempt) is not None

    async def cancel(self, job_id: str) -> bool:
        return await self._change(job_id, ACTIVE, "cancelled", 0, "cancelled", {"state": "cancelled"}) is not None

    async def reopen(self, job_id: str) -> bool:
        """Queue a failed or cancelled job again (a retry), atomically; its history is kept, and it moves to the
        front of the index (which is pruned by age) like a new job."""
        cleared = dict.fromkeys(("error_code", "error_message", "error_hint", "finished_at"))
        if await self._change(job_id, ("failed", "cancelled"), "queued", 0, "queued again",
                              {"state": "queued", **cleared}, enqueue=True) is None:
            return False
        await self.redis.zadd(self.prefix + "index", {job_id: time.time()})
        return True

    async def holds(self, job_id: str, attempt: int) -> bool:
        """Whether the job is still running as this attempt (not cancelled, not taken over)."""
        return await self.redis.hmget(self._keys(job_id)[0], "state", "attempt") == ["running", str(attempt)]

    async def events(self, job_id: str, after: str | None = None) -> list[dict]:
        """The job's history (after the given event id), oldest first."""
        entries = await self.redis.xrange(self._keys(job_id)[1], f"({after}" if after else "-", "+")
        return [{"id": entry_id, **event} for entry_id, event in entries]

    async def follow(self, job_id: str, after: str | None = None, block_ms: int = 5000) -> AsyncIterator[dict]:
        """Past events (after the given id), then live ones, until the job ends: read from the job's stream,
        so nothing is missed or repeated. Each event carries its stream id."""
        events_key, last = self._keys(job_id)[1], after or "0-0"
        while True:
            entries = await self.redis.xrange(events_key, f"({last}", "+", count=100)
            if not entries:
                if await self.redis.hget(self._keys(job_id)[0], "state") in (None, *TERMINAL):
                    # ended (or expired): its last event was written with that state, so one more read has it
                    entries = await self.redis.xrange(events_key, f"({last}", "+", count=100)
                    if not entries:
                        return
                else:
                    answer = await self.redis.xread({events_key: last}, count=100, block=block_ms)
                    entries = answer[0][1] if answer else []
            for last, event in entries:
                yield {"id": last, **event}
            if entries and event["state"] in TERMINAL and not await self.redis.xrange(events_key, f"({last}",
                                                                                       "+", count=1):
                return
