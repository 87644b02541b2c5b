"""A worker: takes deliveries from the queue, runs each job's attempt, keeps its claim alive while it works, and
acknowledges the delivery when the job has ended (or is no longer its to run)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Protocol

from redis.exceptions import RedisError

from ..hf.cache import HubMetadata
from ..k8s.errors import KubeError
from ..k8s.kinds import Kind
from .queue import Delivery, JobQueue
from .steps import Attempt, JobFailed, Lost
from .store import JobStore

log = logging.getLogger("ome_gateway.jobs")
MAX_ATTEMPTS = 5  # a job that kills its workers this often is failed rather than taken over again


class Cluster(Protocol):
    """Where the steps read and write models (and read token Secrets): the gateway's write path, so writes reach
    the cache and the audit bus as a mutation's would."""

    async def get(self, kind: Kind, name: str, namespace: str | None) -> dict: ...

    async def observe(self, kind: Kind, name: str, namespace: str | None) -> dict:
        """The object as last seen, for polling its status: from a watch where there is one (raises NOT_FOUND
        like get)."""

    async def create(self, kind: Kind, obj: dict) -> dict: ...

    async def replace(self, kind: Kind, obj: dict) -> dict: ...


@dataclass(frozen=True)
class Options:
    hub_attempts: int = 4
    ready_timeout: float = 600.0
    poll: float = 0.25
    pauses: dict = field(default_factory=dict)  # step -> seconds to wait after it starts (tests)


class Worker:
    def __init__(self, name: str, store: JobStore, queue: JobQueue, hub: HubMetadata, cluster: Cluster,
                 options: Options) -> None:
        self.name, self.store, self.queue, self.hub, self.options = name, store, queue, hub, options
        self.cluster = cluster
        self.beat = min(queue.visibility_ms / 3000, 1.0)

    async def run(self) -> None:
        """Work until cancelled, reconnecting while Redis is away."""
        backoff = 0.1
        while True:
            try:
                await self.queue.ensure_group()
                while True:
                    delivery = await self.queue.take(self.name, int(self.beat * 1000))
                    if delivery is not None:
                        await self.handle(delivery)
                    backoff = 0.1
            except (RedisError, OSError) as exc:
                log.warning("worker %s: redis error (%s); retrying in %.1fs", self.name, exc, backoff)
            except Exception:  # a bug must not end the worker: log it and go on
                log.exception("worker %s: unexpected error; going on in %.1fs", self.name, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def handle(self, delivery: Delivery) -> None:
        attempt = await self.store.claim(delivery.job_id, self.name, delivery.entry_id)
        if attempt is not None:  # else: a delivery that no longer stands for the job (ended, or queued again)
            log.info("worker %s runs job %s (attempt %d%s)", self.name, delivery.job_id, attempt,
                     ", taken over" if delivery.reclaimed else "")
            work = asyncio.create_task(self.attempt(await self.store.get(delivery.job_id), attempt))
            keeper = asyncio.create_task(self.keep(delivery, attempt, work))
            try:
                await asyncio.wait([work])
            finally:  # when this worker is stopped, the delivery stays pending for another one
                keeper.cancel()
                work.cancel()
            if not work.cancelled():
                work.result()  # a Redis failure propagates: the delivery stays pending
        await self.queue.ack(self.name, delivery)

    async def attempt(self, job: dict, attempt: int) -> None:
        """Run the attempt and record how it ended; stops quietly when the job is no longer ours."""
        job_id = job["id"]
        if attempt - job["base"] > MAX_ATTEMPTS:  # attempts of this run: a retry starts a new count
            await self.store.finish(job_id, attempt, "failed", f"abandoned after {MAX_ATTEMPTS} attempts",
                                    {"code": "ABANDONED", "message": "every attempt stopped without an outcome"})
            return
        try:
            message = await Attempt(self, job, attempt).run()
            await self.store.finish(job_id, attempt, "completed", message)
        except JobFailed as exc:
            await self.store.finish(job_id, attempt, "failed", exc.message,
                                    {"code": exc.code, "message": exc.message, "hint": exc.hint})
        except KubeError as exc:
            await self.store.finish(job_id, attempt, "failed", exc.message, {"code": exc.code, "message": exc.message})
        except Lost:
            log.info("worker %s: job %s was cancelled or taken over", self.name, job_id)
        except (RedisError, OSError):
            raise
        except Exception:
            log.exception("worker %s: job %s failed unexpectedly", self.name, job_id)
            await self.store.finish(job_id, attempt, "failed", "internal error (see the worker's log)",
                                    {"code": "INTERNAL_SERVER_ERROR", "message": "internal error"})

    async def keep(self, delivery: Delivery, attempt: int, work: asyncio.Task) -> None:
        """Extend the claim while the job runs; stop the work when it was cancelled or taken over."""
        while True:
            await asyncio.sleep(self.beat)
            with contextlib.suppress(RedisError, OSError):
                if not (await self.queue.extend(self.name, delivery)
                        and await self.store.holds(delivery.job_id, attempt)):
                    work.cancel()
                    return
