"""A process's import jobs, wired: one Redis pool for the job store and the hub metadata cache, and workers
running as tasks of this process (in the web app, or as `ome-gateway worker`) that write through the gateway's
own write path."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import uuid

import redis.asyncio as aioredis

from .config import Settings
from .hf.cache import HubMetadata
from .jobs.queue import JobQueue
from .jobs.store import JobStore
from .jobs.worker import Options, Worker
from .k8s.client import KubeClient
from .k8s.errors import KubeError
from .k8s.kinds import Kind
from .resolvers import writes
from .resolvers.context import Context
from .subscriptions.bus import Bus


class GatewayWrites:
    """The workers' view of the cluster (jobs.worker.Cluster): writes through resolvers/writes.py, so they reach
    the cache at once and the audit bus, as a mutation's writes do."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def get(self, kind: Kind, name: str, namespace: str | None) -> dict:
        return await self.ctx.client.get(kind, name, namespace)

    async def observe(self, kind: Kind, name: str, namespace: str | None) -> dict:
        """From the gateway's informer when it watches the kind (a poll then costs no upstream request), else
        upstream. Not for objects to write back: the cache drops managedFields and last-applied annotations."""
        informer = self.ctx.cache.ready(kind) if self.ctx.cache is not None else None
        if informer is None:
            return await self.get(kind, name, namespace)
        obj = informer.get(namespace, name)
        if obj is None:
            raise KubeError("NOT_FOUND", f"{kind.name} {'/'.join(filter(None, (namespace, name)))} not found", 404)
        return obj

    async def create(self, kind: Kind, obj: dict) -> dict:
        return await writes.create(self.ctx, kind, obj)

    async def replace(self, kind: Kind, obj: dict) -> dict:
        return await writes.replace(self.ctx, kind, obj)


class Jobs:
    """store is None without Redis (import jobs need it); hub caches in this process then."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # timeouts and health checks: a half-open connection fails (and is retried) instead of hanging a worker
        self.redis = aioredis.Redis.from_url(
            settings.redis_url, decode_responses=True, socket_connect_timeout=2, socket_keepalive=True,
            socket_timeout=30, health_check_interval=15) if settings.redis_url else None
        self.store = JobStore(self.redis, retention=settings.import_retention) if self.redis else None
        self.hub = HubMetadata(settings.hf_endpoint, settings.hf_cache_ttl, self.redis)
        self.workers: list[Worker] = []
        self._tasks: list[asyncio.Task] = []

    def start(self, count: int, client: KubeClient, cache=None, bus: Bus | None = None) -> None:
        """Run `count` workers writing with the gateway's own identity (callers' rights were checked when they
        submitted), through the cache and the bus when given."""
        if self.store is None:
            return
        s = self.settings
        cluster = GatewayWrites(Context(client=client, settings=s, cache=cache, bus=bus))
        options = Options(hub_attempts=s.import_hub_attempts, ready_timeout=s.import_ready_timeout,
                          pauses=dict(s.import_pauses))
        prefix = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"  # containers may share host and pid
        for n in range(count):
            queue = JobQueue(self.redis, visibility=s.import_visibility)
            worker = Worker(f"{prefix}-{n}", self.store, queue, self.hub, cluster, options)
            self.workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.run(), name=f"import-worker-{n}"))

    async def stop(self) -> None:
        """Stop the workers (their unfinished jobs are taken over by other workers) and close Redis."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.redis is not None:
            await self.redis.aclose()


async def serve_workers(settings: Settings, count: int) -> None:
    """`ome-gateway worker`: run import workers until SIGTERM or SIGINT."""
    if not settings.redis_url:
        raise SystemExit("import workers need Redis: set REDIS_URL")
    client = await KubeClient.connect(settings.kubeconfig, in_cluster=settings.in_cluster)
    bus, jobs = Bus(settings.redis_url), Jobs(settings)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await bus.start()
        jobs.start(count, client, bus=bus)
        print(f"import workers running: {', '.join(w.name for w in jobs.workers)}", flush=True)
        await stop.wait()
    finally:
        await jobs.stop()
        await bus.stop()
        await client.close()
