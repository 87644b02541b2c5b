"""The job queue and store over a real Redis: one consumer per delivery, takeover of idle deliveries, leases that
stop a stale worker, exactly-once completion, atomic retry, and replay-then-live history."""
from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from ome_gateway.jobs.queue import JobQueue
from ome_gateway.jobs.store import JobStore


@pytest.fixture
async def redis(redis_url):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def prefix():
    return f"test:{uuid.uuid4().hex[:8]}:"


async def queue_and_store(redis, prefix, visibility=0.3, **store_options):
    queue = JobQueue(redis, prefix, visibility=visibility)
    await queue.ensure_group()
    await queue.ensure_group()  # idempotent
    return queue, JobStore(redis, prefix, **store_options)


async def test_each_job_goes_to_one_consumer(redis, prefix):
    queue, store = await queue_and_store(redis, prefix, visibility=30)
    ids = {(await store.create({"repo_id": f"org/m{i}"}))["id"] for i in range(6)}
    names = ["c0", "c1", "c2"] * 3
    queues = {n: JobQueue(redis, prefix, visibility=30) for n in names}
    taken = await asyncio.gather(*(queues[n].take(n, 200) for n in names))
    pairs = [(n, d) for n, d in zip(names, taken) if d is not None]
    assert sorted(d.job_id for _, d in pairs) == sorted(ids)  # all six, none twice
    assert not any(d.reclaimed for _, d in pairs)
    assert await queue.take("c0", 50) is None
    assert await queue.pending() == 6
    assert not await queue.ack("someone-else", pairs[0][1])  # only the holder acknowledges
    for name, delivery in pairs:
        assert await queues[name].ack(name, delivery)
    assert await queue.pending() == 0 and await redis.xlen(queue.stream) == 0


async def test_idle_delivery_is_taken_over_and_the_old_worker_is_fenced(redis, prefix):
    queue, store = await queue_and_store(redis, prefix)
    job = await store.create({"repo_id": "org/model"})
    first = await queue.take("a", 100)
    attempt_a = await store.claim(job["id"], "a")
    assert await store.progress(job["id"], attempt_a, "resolve", 5, "working")
    assert await queue.take("b", 50) is None  # not idle long enough yet
    await asyncio.sleep(0.4)
    second = await queue.take("b", 50)
    assert second.reclaimed and second.entry_id == first.entry_id and second.job_id == job["id"]
    attempt_b = await store.claim(job["id"], "b")
    assert attempt_b == attempt_a + 1
    # a stale worker can neither keep, finish nor acknowledge what it lost
    assert not await queue.extend("a", first)
    assert not await store.progress(job["id"], attempt_a, "create", 55, "late")
    assert not await store.finish(job["id"], attempt_a, "completed", "late")
    assert not await store.holds(job["id"], attempt_a) and await store.holds(job["id"], attempt_b)
    assert not await queue.ack("a", first)
    assert await queue.pending() == 1
    assert await store.finish(job["id"], attempt_b, "completed", "done")
    assert not await store.finish(job["id"], attempt_b, "completed", "again")  # exactly once
    assert await queue.ack("b", second) and await queue.pending() == 0
    events = await store.events(job["id"])
    assert [e["step"] for e in events] == ["queued", "claimed", "resolve", "claimed", "completed"]
    assert [e.get("worker") for e in events if e["step"] == "claimed"] == ["a", "b"]
    assert (await store.get(job["id"]))["state"] == "completed"


async def test_extending_a_delivery_keeps_it(redis, prefix):
    queue, store = await queue_and_store(redis, prefix)
    await store.create({"repo_id": "org/model"})
    delivery = await queue.take("a", 100)
    for _ in range(4):
        await asyncio.sleep(0.15)
        assert await queue.extend("a", delivery)
    assert await queue.take("b", 50) is None


async def test_cancel_and_retry_are_state_checked_and_retry_requeues(redis, prefix):
    queue, store = await queue_and_store(redis, prefix)
    job = await store.create({"repo_id": "org/model"})
    assert not await store.reopen(job["id"])  # a queued job cannot be retried
    assert await store.cancel(job["id"]) and not await store.cancel(job["id"])
    delivery = await queue.take("a", 100)
    assert await store.claim(job["id"], "a") is None  # cancelled: the worker drops it
    await queue.ack("a", delivery)
    assert await store.reopen(job["id"])
    again = await queue.take("a", 100)  # the retry was queued with the state change
    assert again.job_id == job["id"] and again.entry_id != delivery.entry_id
    attempt = await store.claim(job["id"], "a")
    assert await store.finish(job["id"], attempt, "failed", "no such repo", {"code": "NOT_FOUND", "hint": "check"})
    failed = await store.get(job["id"])
    assert (failed["state"], failed["error_code"], failed["error_hint"]) == ("failed", "NOT_FOUND", "check")
    assert await store.reopen(job["id"])
    assert "error_code" not in await store.get(job["id"])
    assert [j["id"] for j in await store.list("queued")] == [job["id"]]
    assert await store.get("missing") is None and not await store.cancel("missing")


async def test_follow_replays_then_streams_without_gaps_or_repeats(redis, prefix):
    _, store = await queue_and_store(redis, prefix)
    job = await store.create({"repo_id": "org/model"})
    attempt = await store.claim(job["id"], "a")
    seen = []

    async def follow(after=None):
        async for event in store.follow(job["id"], after, block_ms=100):
            seen.append(event)
    reader = asyncio.create_task(follow())
    for n in range(20):
        assert await store.progress(job["id"], attempt, "wait", n, f"step {n}")
    await store.finish(job["id"], attempt, "completed", "done")
    await asyncio.wait_for(reader, 5)  # ends after the terminal event
    assert [e["message"] for e in seen] == ["queued", "claimed by a"] + [f"step {n}" for n in range(20)] + ["done"]
    assert len({e["id"] for e in seen}) == len(seen)
    resumed = [e async for e in store.follow(job["id"], seen[10]["id"])]
    assert resumed == seen[11:]


async def test_history_and_records_are_bounded(redis, prefix):
    _, store = await queue_and_store(redis, prefix, retention=120, max_events=10, max_jobs=3)
    job = await store.create({"repo_id": "org/model"})
    attempt = await store.claim(job["id"], "a")
    for n in range(300):
        await store.progress(job["id"], attempt, "wait", n % 100, str(n))
    assert len(await store.events(job["id"])) < 150  # trimmed (approximately) to max_events
    assert 0 < await redis.ttl(f"{prefix}job:{job['id']}") <= 120
    assert 0 < await redis.ttl(f"{prefix}events:{job['id']}") <= 120
    for _ in range(4):
        await store.create({"repo_id": "org/other"})
    assert len(await store.list()) == 3


async def test_only_the_delivery_that_stands_for_the_job_can_claim_it(redis, prefix):
    queue, store = await queue_and_store(redis, prefix)
    job = await store.create({"repo_id": "org/model"})
    assert await store.cancel(job["id"]) and await store.reopen(job["id"])  # retried before any worker read it
    stale, current = await queue.take("a", 100), await queue.take("b", 100)
    assert stale.job_id == current.job_id == job["id"] and stale.entry_id != current.entry_id
    assert await store.claim(job["id"], "a", stale.entry_id) is None  # a duplicate cannot take the job over
    assert await store.claim(job["id"], "b", current.entry_id) == 1
    assert await store.claim(job["id"], "a", stale.entry_id) is None  # not even once it runs
    assert (await store.get(job["id"]))["worker"] == "b"


async def test_attempts_are_counted_per_run(redis, prefix):
    queue, store = await queue_and_store(redis, prefix)
    job = await store.create({"repo_id": "org/model"})
    for run in range(3):
        delivery = await queue.take("a", 100)
        attempt = await store.claim(job["id"], "a", delivery.entry_id)
        assert attempt - (await store.get(job["id"]))["base"] == 1  # a retry starts counting again
        assert await store.finish(job["id"], attempt, "failed", "no") and await queue.ack("a", delivery)
        assert await store.reopen(job["id"])
    assert (await store.get(job["id"]))["attempt"] == 3


async def test_following_from_the_last_event_of_an_ended_job_ends_at_once(redis, prefix):
    _, store = await queue_and_store(redis, prefix)
    job = await store.create({"repo_id": "org/model"})
    attempt = await store.claim(job["id"], "a")
    await store.finish(job["id"], attempt, "completed", "done")
    last = (await store.events(job["id"]))[-1]["id"]
    assert await asyncio.wait_for(_collect(store.follow(job["id"], last, block_ms=5000)), 1) == []


async def _collect(stream) -> list:
    return [item async for item in stream]


async def test_a_retried_job_is_listed_first_again(redis, prefix):
    _, store = await queue_and_store(redis, prefix)
    old = await store.create({"repo_id": "org/old"})
    new = await store.create({"repo_id": "org/new"})
    assert [j["id"] for j in await store.list()] == [new["id"], old["id"]]
    assert await store.cancel(old["id"]) and await store.reopen(old["id"])
    assert [j["id"] for j in await store.list()] == [old["id"], new["id"]]


async def test_a_follower_never_misses_the_last_event(redis, prefix):
    """The job ends at every moment of a follower's loop in turn: the terminal event is always delivered."""
    _, store = await queue_and_store(redis, prefix)
    for delay in range(0, 12):
        job = await store.create({"repo_id": "org/model"})
        attempt = await store.claim(job["id"], "a")

        async def end_later():
            for _ in range(delay):
                await asyncio.sleep(0)
            await store.finish(job["id"], attempt, "failed", "gated", {"code": "FORBIDDEN"})
        ender = asyncio.create_task(end_later())
        seen = await asyncio.wait_for(_collect(store.follow(job["id"], block_ms=200)), 5)
        await ender
        assert seen[-1]["state"] == "failed", (delay, [e["step"] for e in seen])
